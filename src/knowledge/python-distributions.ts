/**
 * Import name → PyPI distribution, where they differ beyond PEP 503 normalisation (`sentence_transformers` already
 * normalises to `sentence-transformers`, so it needs no entry). A module not listed here is assumed to be
 * distributed under its own name. Keys are a top-level module or a two-level `namespace.module`.
 */
export interface ModuleDistribution {
  distribution: string;
  reason: string;
}

export const MODULE_DISTRIBUTIONS: Readonly<Record<string, ModuleDistribution>> = {
  sklearn: { distribution: 'scikit-learn', reason: 'scikit-learn installs the sklearn package' },
  skimage: { distribution: 'scikit-image', reason: 'scikit-image installs the skimage package' },
  cv2: {
    distribution: 'opencv-python',
    reason: 'the usual OpenCV wheel; -headless and -contrib variants ship cv2 too',
  },
  PIL: { distribution: 'pillow', reason: 'Pillow, the maintained fork, installs the PIL package' },
  yaml: { distribution: 'pyyaml', reason: 'PyYAML installs the yaml package' },
  bs4: { distribution: 'beautifulsoup4', reason: 'Beautiful Soup 4 installs bs4' },
  attr: { distribution: 'attrs', reason: 'attrs installs both attr and attrs' },
  dateutil: { distribution: 'python-dateutil', reason: 'python-dateutil installs dateutil' },
  dotenv: { distribution: 'python-dotenv', reason: 'python-dotenv installs dotenv' },
  jwt: { distribution: 'pyjwt', reason: 'PyJWT installs jwt' },
  Crypto: {
    distribution: 'pycryptodome',
    reason: 'PyCryptodome replaces the abandoned PyCrypto under the Crypto name',
  },
  OpenSSL: { distribution: 'pyopenssl', reason: 'pyOpenSSL installs OpenSSL' },
  fitz: { distribution: 'pymupdf', reason: 'PyMuPDF installs fitz (the PyPI "fitz" is unrelated)' },
  docx: { distribution: 'python-docx', reason: 'python-docx installs docx' },
  open_clip: { distribution: 'open-clip-torch', reason: 'OpenCLIP is published as open_clip_torch' },
  clip: { distribution: 'openai-clip', reason: 'OpenAI CLIP; the PyPI "clip" distribution is an unrelated project' },
  whisper: { distribution: 'openai-whisper', reason: 'OpenAI Whisper installs whisper' },
  llama_cpp: { distribution: 'llama-cpp-python', reason: 'the Python bindings of llama.cpp install llama_cpp' },
  faiss: { distribution: 'faiss-cpu', reason: 'faiss-cpu is the common wheel (faiss-gpu ships the same module)' },
  git: { distribution: 'gitpython', reason: 'GitPython installs git' },
  zmq: { distribution: 'pyzmq', reason: 'pyzmq installs zmq' },
  pkg_resources: { distribution: 'setuptools', reason: 'pkg_resources ships with setuptools' },
  mpl_toolkits: { distribution: 'matplotlib', reason: 'mpl_toolkits ships with matplotlib' },
  Bio: { distribution: 'biopython', reason: 'Biopython installs Bio' },
  MeCab: { distribution: 'mecab-python3', reason: 'mecab-python3 installs MeCab' },
  'google.protobuf': { distribution: 'protobuf', reason: 'protobuf installs google.protobuf in the google namespace' },
  'google.generativeai': { distribution: 'google-generativeai', reason: 'the Gemini SDK installs google.generativeai' },
};

/**
 * The distribution an import names, with the module name that decided it (`torch.nn` → torch, `google.protobuf` →
 * protobuf); undefined for a bare namespace (`google`) that says nothing on its own.
 */
export function distributionOf(module: string): { distribution: string; module: string } | undefined {
  const [top = module, second] = module.split('.');
  const nested = second ? MODULE_DISTRIBUTIONS[`${top}.${second}`] : undefined;
  if (nested) return { distribution: nested.distribution, module: `${top}.${second}` };
  if (NAMESPACE_ONLY.has(top)) return undefined;
  return { distribution: MODULE_DISTRIBUTIONS[top]?.distribution ?? top, module: top };
}

/** Namespace packages many distributions share: the import alone does not say which one. */
const NAMESPACE_ONLY: ReadonlySet<string> = new Set(['google', 'azure', 'jaraco', 'backports']);
