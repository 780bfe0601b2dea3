/**
 * What an ONNX operator domain means for whoever loads the model. Every entry carries the one-line reason it is here.
 *
 * A node's kernel comes from its domain: the standard domains and ONNX Runtime's built-in contrib domain are compiled
 * into every runtime, so a node there runs only code the runtime already ships. Any other domain needs a custom-op
 * library the user registers (native code) — or, for the Python hooks below, calls back into Python.
 */

export interface DomainEntry {
  domain: string;
  reason: string;
}

export interface PythonOpEntry {
  /** Operator type; matched exactly, or as a prefix when `prefix` is set. */
  opType: string;
  /** Restricts the entry to one domain; absent = any domain. */
  domain?: string;
  prefix?: boolean;
  reason: string;
}

/** Domains whose operators every runtime ships: no finding. '' is the default domain, an alias of 'ai.onnx'. */
export const STANDARD_DOMAINS: readonly DomainEntry[] = [
  { domain: '', reason: 'the default ONNX operator set (same as ai.onnx)' },
  { domain: 'ai.onnx', reason: 'the ONNX operator set, specified in onnx/defs' },
  { domain: 'ai.onnx.ml', reason: 'the ONNX-ML operator set (tree ensembles, encoders), specified in onnx/defs' },
  {
    domain: 'ai.onnx.training',
    reason: 'ONNX training operators (Gradient, Momentum, Adagrad), specified in onnx/defs',
  },
  { domain: 'ai.onnx.preview.training', reason: 'the preview name of the ONNX training operators' },
  {
    domain: 'com.microsoft',
    reason:
      'ONNX Runtime contrib ops (Attention, FusedMatMul, QOrderedMatMul ...), compiled into every onnxruntime build',
  },
  { domain: 'com.microsoft.nchwc', reason: 'ONNX Runtime internal NCHWc layout ops, written by its own optimiser' },
  { domain: 'com.ms.internal.nhwc', reason: 'ONNX Runtime internal NHWC layout ops, written by its own optimiser' },
];

/**
 * Third-party domains that are well known but still need a library the user installs and registers: reported
 * at low severity (the kernel is native code from a known project, not something the model carries).
 */
export const KNOWN_EXTENSION_DOMAINS: readonly DomainEntry[] = [
  {
    domain: 'ai.onnx.contrib',
    reason: 'onnxruntime-extensions (tokenizers, string and vision ops); needs its native library registered',
  },
  { domain: 'org.pytorch.aten', reason: 'ATen fallback from torch.onnx export; runs PyTorch kernels via ORT training' },
  { domain: 'com.microsoft.experimental', reason: 'ONNX Runtime experimental contrib ops, not in every build' },
  {
    domain: 'com.microsoft.dml',
    reason: 'DirectML execution-provider ops (Windows), shipped with onnxruntime-directml',
  },
  { domain: 'ai.onnx.converters.tensorflow', reason: 'tf2onnx helper ops, meant to be rewritten before deployment' },
  { domain: 'com.amd.quark', reason: 'AMD Quark quantisation ops; needs the Quark custom-op library' },
  { domain: 'com.vitis.ai', reason: 'AMD Vitis AI execution-provider ops; needs the Vitis AI runtime' },
];

/** Operators that call back into Python (or a whole domain that does): the model decides which Python runs. */
export const PYTHON_OPS: readonly PythonOpEntry[] = [
  {
    opType: 'PyOp',
    reason: 'ONNX Runtime language-interop op: imports the module and calls the function its attributes name',
  },
  {
    opType: 'PythonOp',
    reason: 'ORT training PythonOp: runs a torch.autograd.Function looked up by name from the model',
  },
  { opType: 'PythonOpGrad', reason: 'backward half of PythonOp: runs Python named by the model' },
  { opType: 'PyFunc', reason: 'Python function hook (TensorFlow-style name used by converters and custom builds)' },
  {
    opType: 'Py',
    domain: 'ai.onnx.contrib',
    prefix: true,
    reason: 'onnxruntime-extensions Python custom ops (@onnx_op) are registered under names chosen in Python',
  },
  {
    opType: '',
    domain: 'com.microsoft.extensions',
    prefix: true,
    reason: 'domain used for Python-defined custom ops of onnxruntime-extensions / ORT PyOp hosts',
  },
];

const normalise = (domain: string) => (domain === 'ai.onnx' ? '' : domain);

export function standardDomain(domain: string): DomainEntry | undefined {
  return STANDARD_DOMAINS.find((entry) => normalise(entry.domain) === normalise(domain));
}

export function knownExtensionDomain(domain: string): DomainEntry | undefined {
  return KNOWN_EXTENSION_DOMAINS.find((entry) => entry.domain === domain);
}

export function pythonOp(domain: string, opType: string): PythonOpEntry | undefined {
  return PYTHON_OPS.find(
    (entry) =>
      (entry.domain === undefined || entry.domain === domain) &&
      (entry.prefix ? opType.startsWith(entry.opType) : opType === entry.opType),
  );
}
