/**
 * What a Keras config may name. Every entry carries the one-line reason it is here.
 *
 * Keras 3 resolves `{"module": M, "class_name": C}` by importing M when M is not Keras' own (before 3.9.0, even
 * with safe_mode: CVE-2025-1550 / GHSA-48g7-3x6r-xfhp), so any module outside these namespaces is code the config
 * chooses to import and call. `registered_name` alone only looks up classes the loading program registered itself.
 */

export interface NamespaceEntry {
  /** Matches the module itself and everything under it (`keras` covers `keras.src.layers.core.dense`). */
  prefix: string;
  reason: string;
}

export interface CallableEntry {
  /** Last component of the function or class name. */
  name: string;
  reason: string;
}

export interface CodeClassEntry {
  className: string;
  /** `code`: the config carries Python (bytecode or source); `named`: it calls a function named in the config. */
  carries: 'code' | 'named';
  reason: string;
}

export const KERAS_NAMESPACES: readonly NamespaceEntry[] = [
  { prefix: 'keras', reason: 'Keras 3: the public API and its implementation (keras.src...), resolved inside Keras' },
  { prefix: 'tf_keras', reason: 'Keras 2 as the standalone tf_keras package' },
  { prefix: 'tensorflow.keras', reason: 'tf.keras, the Keras bundled with TensorFlow 2' },
  { prefix: 'tf.keras', reason: 'the usual alias of tensorflow.keras, as written by some exporters' },
  { prefix: 'tensorflow.python.keras', reason: 'the tf.keras implementation package in TensorFlow before 2.16' },
  { prefix: 'keras_hub', reason: 'KerasHub, published by the Keras team; its classes register as Keras objects' },
  { prefix: 'keras_nlp', reason: 'KerasNLP, the former name of KerasHub (Keras team)' },
  { prefix: 'keras_cv', reason: 'KerasCV, computer-vision layers published by the Keras team' },
  { prefix: 'keras_rs', reason: 'Keras Recommenders, published by the Keras team' },
];

/** Names that are dangerous even inside Keras' own namespaces. */
export const KERAS_DANGEROUS_CALLABLES: readonly CallableEntry[] = [
  {
    name: 'enable_unsafe_deserialization',
    reason: 'switches safe_mode off for the rest of the load, so a later Lambda runs (CVE-2025-9906)',
  },
  { name: 'get_file', reason: 'downloads a URL and writes it to a path of its choosing (CVE-2025-8747)' },
  { name: 'load_model', reason: 'loads a second model file, possibly from outside the folder, with its own settings' },
  { name: 'load_weights', reason: 'reads a weights file named by the config, possibly outside the folder' },
  { name: 'TorchModuleWrapper', reason: 'its config holds a torch.save-d module that Keras unpickles on load' },
];

export const KERAS_CODE_CLASSES: readonly CodeClassEntry[] = [
  { className: 'Lambda', carries: 'code', reason: 'Lambda layers store the Python function they run (CVE-2025-9905)' },
  { className: '__lambda__', carries: 'code', reason: 'Keras 3 serialises a Python lambda as base64 bytecode' },
  { className: 'TFOpLambda', carries: 'named', reason: 'calls the TensorFlow API function its config names' },
  { className: 'SlicingOpLambda', carries: 'named', reason: 'TFOpLambda variant for tensor slicing' },
];

export function kerasNamespace(module: string): NamespaceEntry | undefined {
  return KERAS_NAMESPACES.find((entry) => module === entry.prefix || module.startsWith(`${entry.prefix}.`));
}

export function kerasDangerousCallable(name: string | undefined): CallableEntry | undefined {
  if (!name) return undefined;
  const last = name.split(/[.>]/).pop() ?? name;
  return KERAS_DANGEROUS_CALLABLES.find((entry) => entry.name === last);
}

export function kerasCodeClass(className: string): CodeClassEntry | undefined {
  return KERAS_CODE_CLASSES.find((entry) => entry.className === className);
}
