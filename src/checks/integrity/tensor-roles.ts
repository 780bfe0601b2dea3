/**
 * How checkpoints name the tensors whose shapes a config constrains. Name patterns are conventions, not a format:
 * each entry says which families use it, and a model matching none is simply not compared.
 */

/** Token embedding tensors by name suffix, most specific first; rows = vocabulary, columns = embedding width. */
export const EMBEDDING_SUFFIXES: readonly { suffix: string; reason: string }[] = [
  { suffix: 'embed_tokens.weight', reason: 'Llama, Mistral, Qwen, Gemma, Phi-3, OPT, BART, Whisper decoders' },
  { suffix: 'wte.weight', reason: 'GPT-2, GPT-J, CodeGen, StarCoder (transformer.wte)' },
  { suffix: 'word_embeddings.weight', reason: 'BERT, RoBERTa, DeBERTa, BLOOM, Falcon' },
  { suffix: 'embed_in.weight', reason: 'GPT-NeoX and Pythia' },
  { suffix: 'tok_embeddings.weight', reason: "Meta's original Llama / Mistral checkpoints, InternLM2" },
  { suffix: 'token_embedding.weight', reason: 'CLIP text encoders' },
  { suffix: 'shared.weight', reason: 'T5 and BART: the embedding shared by encoder and decoder' },
  {
    suffix: 'lm_head.weight',
    reason: 'output projection: same [vocabulary, hidden] shape; used when no input embedding is stored',
  },
];

/**
 * A repeated block: `<prefix>.<word>.<index>.`; the prefix keeps stacks apart (a vision tower's layers are not the
 * language model's). Words: layers (Llama, Mistral, BART, Mamba), layer (BERT), h (GPT-2, BLOOM, Falcon),
 * blocks / block (T5, ViT-style, RWKV).
 */
export const LAYER_PATTERN = /^(?:(.*)\.)?(layers|layer|h|blocks|block)\.(\d{1,6})\./;
