/**
 * A model card's `library_name` → the package that loads the model. The card names the library, not a version, so
 * the dependency is unpinned. Library names follow the Hub's list (huggingface.js `packages/tasks/src/model-libraries.ts`);
 * names not listed here (formats such as `gguf` or `onnx`, tools without a package) imply no dependency.
 */
export interface CardLibrary {
  ecosystem: 'PyPI' | 'npm';
  name: string;
  reason: string;
}

export const CARD_LIBRARIES: Readonly<Record<string, CardLibrary>> = {
  transformers: { ecosystem: 'PyPI', name: 'transformers', reason: 'loaded with transformers' },
  diffusers: { ecosystem: 'PyPI', name: 'diffusers', reason: 'loaded with diffusers' },
  'sentence-transformers': {
    ecosystem: 'PyPI',
    name: 'sentence-transformers',
    reason: 'loaded with sentence-transformers',
  },
  peft: { ecosystem: 'PyPI', name: 'peft', reason: 'an adapter loaded with peft' },
  timm: { ecosystem: 'PyPI', name: 'timm', reason: 'loaded with timm' },
  open_clip: { ecosystem: 'PyPI', name: 'open-clip-torch', reason: 'OpenCLIP is published as open_clip_torch' },
  keras: { ecosystem: 'PyPI', name: 'keras', reason: 'loaded with Keras 3' },
  'tf-keras': { ecosystem: 'PyPI', name: 'tf-keras', reason: 'loaded with Keras 2 (tf-keras)' },
  setfit: { ecosystem: 'PyPI', name: 'setfit', reason: 'loaded with SetFit' },
  'span-marker': { ecosystem: 'PyPI', name: 'span-marker', reason: 'loaded with SpanMarker' },
  spacy: { ecosystem: 'PyPI', name: 'spacy', reason: 'a spaCy pipeline' },
  flair: { ecosystem: 'PyPI', name: 'flair', reason: 'loaded with Flair' },
  fastai: { ecosystem: 'PyPI', name: 'fastai', reason: 'a fastai learner (a pickle loaded by fastai)' },
  'stable-baselines3': { ecosystem: 'PyPI', name: 'stable-baselines3', reason: 'a Stable-Baselines3 policy' },
  speechbrain: { ecosystem: 'PyPI', name: 'speechbrain', reason: 'loaded with SpeechBrain' },
  'pyannote-audio': { ecosystem: 'PyPI', name: 'pyannote-audio', reason: 'a pyannote.audio pipeline' },
  nemo: { ecosystem: 'PyPI', name: 'nemo-toolkit', reason: 'NVIDIA NeMo is published as nemo_toolkit' },
  espnet: { ecosystem: 'PyPI', name: 'espnet', reason: 'loaded with ESPnet' },
  'sample-factory': { ecosystem: 'PyPI', name: 'sample-factory', reason: 'a Sample Factory policy' },
  'ml-agents': { ecosystem: 'PyPI', name: 'mlagents', reason: 'Unity ML-Agents is published as mlagents' },
  'scikit-learn': { ecosystem: 'PyPI', name: 'scikit-learn', reason: 'a scikit-learn estimator (usually a pickle)' },
  sklearn: { ecosystem: 'PyPI', name: 'scikit-learn', reason: 'a scikit-learn estimator (usually a pickle)' },
  gliner: { ecosystem: 'PyPI', name: 'gliner', reason: 'loaded with GLiNER' },
  bertopic: { ecosystem: 'PyPI', name: 'bertopic', reason: 'a BERTopic model' },
  mlx: { ecosystem: 'PyPI', name: 'mlx', reason: 'loaded with Apple MLX' },
  ctranslate2: { ecosystem: 'PyPI', name: 'ctranslate2', reason: 'a CTranslate2 model' },
  'transformers.js': { ecosystem: 'npm', name: '@huggingface/transformers', reason: 'Transformers.js on npm' },
};
