/**
 * Keras model configs: `config.json` of `.keras` archives, Keras JSON configs recognised by content
 * (`model.json`-style), and the root `model_config` / `training_config` attributes of HDF5 `.h5` files (read
 * with h5wasm, which never runs anything). The config is walked as data: every serialised object
 * (`module`, `class_name`, `registered_name`) and every function a layer carries is reported.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Fact } from './facts.js';
import type { BinaryFormat, BinaryInput, TextInspector } from './plugins.js';
import { isFileSource } from './source.js';

export type KerasConfigSource = 'config.json' | 'json' | 'model_config' | 'training_config';

export type KerasFact =
  | {
      kind: 'keras-config';
      source: KerasConfigSource;
      className?: string;
      kerasVersion?: string;
      backend?: string;
      /** Serialised objects (anything with a `class_name`) in the config. */
      objects: number;
    }
  /** One fact per distinct (module, class_name, registered_name, function name). */
  | {
      kind: 'keras-object';
      source: KerasConfigSource;
      /** Where the first occurrence sits, e.g. `config.layers[2].config.activation`. */
      path: string;
      module?: string;
      className: string;
      registeredName?: string;
      /** For `class_name: "function"` objects: the function's name (their `config`). */
      functionName?: string;
      count: number;
    }
  /** A function carried by a layer or object: Python bytecode, source, or a name to look up. */
  | {
      kind: 'keras-function';
      source: KerasConfigSource;
      path: string;
      className: string;
      /** The layer's `name`, when it has one. */
      layer?: string;
      /** `bytecode` (marshal, base64), `source` (Python text), `name` (a function to look up by name). */
      encoding: 'bytecode' | 'source' | 'name';
      functionType?: string;
      module?: string;
      /** The function as stored, shortened. */
      preview: string;
      length: number;
    };

/** Nesting depth of a config walked before giving up (JSON is parsed natively; the walk is ours). */
const MAX_CONFIG_DEPTH = 256;
const MAX_OBJECT_FACTS = 10_000;
const PREVIEW = 300;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: Json | undefined): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: Json | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
const shorten = (text: string) => (text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text);

/** Parses a Keras config and reports its objects and functions; malformed JSON is a `malformed` fact. */
export function describeKerasConfig(text: string, source: KerasConfigSource, facts: Fact[]): void {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (error) {
    facts.push({ kind: 'malformed', detail: `Keras ${source} is not valid JSON: ${(error as Error).message}` });
    return;
  }
  walkConfig(root, source, facts);
}

function walkConfig(root: Json, source: KerasConfigSource, facts: Fact[]) {
  const objects = new Map<string, Extract<KerasFact, { kind: 'keras-object' }>>();
  const functions: KerasFact[] = [];
  let count = 0;
  let tooDeep = false;
  const stack: { value: Json; path: string; depth: number }[] = [{ value: root, path: '$', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (depth > MAX_CONFIG_DEPTH) {
      tooDeep = true;
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    if (!isObject(value)) continue;
    const className = str(value.class_name);
    if (className !== undefined) {
      count++;
      const module = str(value.module);
      const registeredName = str(value.registered_name);
      const functionName = className === 'function' ? str(value.config) : undefined;
      const key = JSON.stringify([module, className, registeredName, functionName]);
      const seen = objects.get(key);
      if (seen) seen.count++;
      else if (objects.size < MAX_OBJECT_FACTS) {
        objects.set(key, {
          kind: 'keras-object',
          source,
          path,
          module,
          className,
          registeredName,
          functionName,
          count: 1,
        });
      }
      const carried = carriedFunction(value, className);
      if (carried) functions.push({ kind: 'keras-function', source, path, className, ...carried });
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      stack.push({ value: value[key], path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  const top = isObject(root) ? root : {};
  facts.push({
    kind: 'keras-config',
    source,
    className: str(top.class_name),
    kerasVersion: str(top.keras_version),
    backend: str(top.backend),
    objects: count,
  });
  facts.push(...objects.values(), ...functions);
  if (tooDeep) {
    facts.push({
      kind: 'limit-reached',
      limit: 'keras-config-depth',
      value: MAX_CONFIG_DEPTH,
      detail: `the Keras ${source} nests deeper than ${MAX_CONFIG_DEPTH} levels; deeper parts were not analysed`,
    });
  }
}

/** The function an object carries: Lambda-style `config.function`, or a Keras 3 `__lambda__` object's code. */
function carriedFunction(
  object: { [key: string]: Json },
  className: string,
): Omit<Extract<KerasFact, { kind: 'keras-function' }>, 'kind' | 'source' | 'path' | 'className'> | undefined {
  const config = isObject(object.config) ? object.config : undefined;
  if (!config) return undefined;
  const layer = str(config.name);
  if (className === '__lambda__') {
    const code = config.code ?? config.value;
    const text = typeof code === 'string' ? code : JSON.stringify(code ?? null);
    return { layer, encoding: 'bytecode', preview: shorten(text), length: text.length };
  }
  const fn = config.function;
  if (fn === undefined || fn === null) return undefined;
  const functionType = str(config.function_type);
  const module = str(config.module) ?? str(config.function_module);
  if (Array.isArray(fn)) {
    // Keras 2 func_dump: [base64 marshal bytecode, defaults, closure].
    const text = typeof fn[0] === 'string' ? fn[0] : JSON.stringify(fn);
    return { layer, encoding: 'bytecode', functionType, module, preview: shorten(text), length: text.length };
  }
  if (typeof fn === 'string') {
    const named = functionType === 'raw' || /^[A-Za-z_][\w.]*$/.test(fn);
    return {
      layer,
      encoding: named ? 'name' : 'source',
      functionType,
      module,
      preview: shorten(fn),
      length: fn.length,
    };
  }
  if (isObject(fn)) return undefined; // a nested serialised object (e.g. __lambda__): reported on its own
  return undefined;
}

// ---- config.json inside .keras, and Keras JSON recognised by content --------------------------------------

/** A top-level Keras model config: `class_name` + `config`, and something only Keras writes. */
function looksLikeKerasModel(text: string): boolean {
  if (!text.includes('"class_name"')) return false;
  try {
    const top = JSON.parse(text) as Json;
    if (!isObject(top) || typeof top.class_name !== 'string' || !isObject(top.config)) return false;
    return (
      'keras_version' in top ||
      'backend' in top ||
      Array.isArray(top.config.layers) ||
      (typeof top.module === 'string' && top.module.startsWith('keras'))
    );
  } catch {
    return false;
  }
}

export const kerasConfigInspector: TextInspector = {
  accepts: (input) => input.format === 'json',
  inspect(input) {
    const inKeras = input.container === 'keras' && basename(input.name) === 'config.json';
    if (!inKeras && !looksLikeKerasModel(input.text)) return;
    describeKerasConfig(input.text, inKeras ? 'config.json' : 'json', input.facts);
  },
};

// ---- HDF5 (.h5) through h5wasm ---------------------------------------------------------------------------

/** Root attributes holding Keras JSON, read in this order. */
const JSON_ATTRIBUTES: readonly ('model_config' | 'training_config')[] = ['model_config', 'training_config'];
/** Fixed-size attributes larger than this are not read (a model config is kilobytes). */
const MAX_ATTRIBUTE_BYTES = 64 << 20;

type H5 = typeof import('h5wasm/node');
let h5wasm: Promise<H5['default']> | undefined;

/** Loads the HDF5 WebAssembly module once, with errors thrown as exceptions instead of printed. */
function loadH5(): Promise<H5['default']> {
  h5wasm ??= import('h5wasm/node').then(async ({ default: h5 }) => {
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return h5;
  });
  return h5wasm;
}

export const kerasH5Format: BinaryFormat = {
  format: 'hdf5',
  async analyse(input) {
    const onDisk = isFileSource(input.source) ? input.source.path : undefined;
    const spooled = onDisk === undefined ? await spool(input) : undefined;
    if (spooled === null) return;
    const path = onDisk ?? spooled?.path ?? '';
    try {
      readH5(await loadH5(), path, input.facts);
    } finally {
      if (spooled) await rm(spooled.folder, { recursive: true, force: true });
    }
  },
};

function readH5(h5: H5['default'], path: string, facts: Fact[]) {
  let file: InstanceType<H5['File']> | undefined;
  try {
    file = new h5.File(path, 'r');
    const attrs = file.attrs;
    const text = (name: string): string | undefined => {
      const attribute = attrs[name];
      if (!attribute) return undefined;
      const meta = attribute.metadata;
      if (!meta.vlen && meta.size * Math.max(meta.total_size, 1) > MAX_ATTRIBUTE_BYTES) {
        facts.push({
          kind: 'not-analysed',
          detail: `HDF5 attribute ${name} is larger than ${MAX_ATTRIBUTE_BYTES} bytes and was not read`,
        });
        return undefined;
      }
      const value = attribute.value as unknown;
      const first = Array.isArray(value) || ArrayBuffer.isView(value) ? (value as ArrayLike<unknown>)[0] : value;
      if (typeof first === 'string') return first;
      if (first instanceof Uint8Array) return new TextDecoder().decode(first);
      return typeof value === 'string' ? value : undefined;
    };
    for (const name of JSON_ATTRIBUTES) {
      const json = text(name);
      if (json !== undefined) describeKerasConfig(json, name, facts);
    }
    const config = facts.find((fact) => fact.kind === 'keras-config' && fact.source === 'model_config');
    if (config?.kind === 'keras-config') {
      config.kerasVersion ??= text('keras_version');
      config.backend ??= text('backend');
    }
  } catch (error) {
    facts.push({ kind: 'malformed', detail: `HDF5: ${h5Error(error)}` });
  } finally {
    try {
      file?.close();
    } catch {
      // closing a file that failed to open
    }
  }
}

/** HDF5's error stacks are long: keep the innermost cause. */
function h5Error(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').filter((line) => /#\d+:/.test(line));
  const last = lines.at(-1);
  return last ? last.replace(/^.*?\(\):\s*/, '').trim() : message.split('\n')[0];
}

/** Copies a stream (an archive member) to a temporary file for h5wasm; null when it is too large. */
async function spool(input: BinaryInput): Promise<{ folder: string; path: string } | null> {
  const folder = await mkdtemp(join(tmpdir(), 'assay-h5-'));
  const path = join(folder, 'member.h5');
  const out = createWriteStream(path);
  let written = 0;
  let tooLarge = false;
  try {
    for await (const chunk of input.stream) {
      written += chunk.length;
      if (written > input.limits.maxSpoolBytes) {
        tooLarge = true;
        break;
      }
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
    }
  } finally {
    out.end();
    await finished(out);
  }
  if (!tooLarge) return { folder, path };
  await rm(folder, { recursive: true, force: true });
  input.facts.push({
    kind: 'limit-reached',
    limit: 'spool',
    value: written,
    detail: `an HDF5 member larger than ${input.limits.maxSpoolBytes} bytes was not copied out for analysis`,
  });
  return null;
}
