import type { LineageCardFact } from '../compliance/licence-lineage.js';
import type { ChatTemplateFact } from './chat-template.js';
import type { DependencyFact } from './dependencies.js';
import type { GgufFact } from './gguf.js';
import type { KerasFact } from './keras.js';
import type { LicenceTextFact } from './licence-text.js';
import type { ModelCardFact } from './model-card.js';
import type { ModelConfigFact } from './model-config.js';
import type { OnnxFact } from './onnx.js';
import type { PersonalDataFact } from './personal-data.js';
import type { PythonCodeFact } from './python-code.js';
import type { SafetensorsFact } from './safetensors.js';
import type { SavedModelFact } from './savedmodel.js';
import type { SecretFact } from './secrets.js';
import type { TensorStatsFact } from './tensor-stats.js';

/**
 * Facts: what parsers extract from bytes, with no judgement attached.
 * Checks (src/checks) turn facts into findings; a parser never decides severity.
 */

/** How a nested pickle was found: a literal starting with a protocol header (raw, hex, base64), or bytes handed to a deserializer. */
export type EmbeddingKind = 'raw' | 'hex' | 'base64' | 'loader-argument';

/** Formats recognised from content (never from the file name). */
export type FormatName =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'torchscript'
  | 'numpy'
  | 'npz'
  | 'skops'
  | 'keras'
  | 'zip'
  | 'tar'
  | '7z'
  | 'gzip'
  | 'zlib'
  | 'bzip2'
  | 'xz'
  | 'lz4'
  | 'safetensors'
  | 'gguf'
  | 'hdf5'
  | 'onnx'
  | 'savedmodel'
  | 'python'
  | 'jinja'
  | 'json'
  | 'text'
  | 'image'
  | 'parquet'
  | 'empty'
  | 'unknown';

/**
 * Two readings of one pickle stream. `sequential` is what pickletools and `pickle.loads(bytes)` see.
 * `frame-skipping` is what a C unpickler reading a file object without `peek` (e.g. torch.load's BytesIO) executes
 * when an argument runs past the end of a FRAME: it drops the rest of the frame and reads on after it.
 */
export type PickleView = 'sequential' | 'frame-skipping';

export type PickleOpcodeName = 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'EXT1' | 'EXT2' | 'EXT4';

interface PickleFactBase {
  /** Byte offset of the opcode inside the stream being analysed. */
  offset: number;
  /** Index of the pickle in a file of stacked pickles (0 = first). */
  stream: number;
  view: PickleView;
}

export type Fact =
  /** An import the unpickler performs (find_class). Names are already mapped through _compat_pickle. */
  | (PickleFactBase & {
      kind: 'pickle-global';
      module: string;
      name: string;
      opcode: PickleOpcodeName;
      /** The object was called (REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX) or had its state set by BUILD. */
      called: boolean;
      /** `build` when BUILD set attributes on the imported object itself (a module or class), not on an instance. */
      callKind?: 'call' | 'build';
      /** A short rendering of the first call, e.g. `('echo pwned',)`. */
      callPreview?: string;
    })
  /** An import whose module or name cannot be known without running the pickle. */
  | (PickleFactBase & { kind: 'pickle-unresolved-global'; opcode: PickleOpcodeName; detail: string })
  /** An opcode argument runs past the end of its FRAME: loaders and disassemblers disagree from here on. */
  | (PickleFactBase & { kind: 'pickle-frame-desync'; frameStart: number; frameEnd: number; detail: string })
  /** The stream stops being a valid pickle here; pickle.load raises at this point and runs nothing after it. */
  | (PickleFactBase & { kind: 'pickle-malformed'; detail: string })
  /** Bytes after the last STOP that are not a pickle. */
  | { kind: 'pickle-trailing-bytes'; offset: number; length: number }
  /** A GET of a memo slot that was never written. */
  /** `index` in decimal: Python accepts any integer as a memo key. */
  | (PickleFactBase & { kind: 'pickle-memo-miss'; index: string })
  /** Counters of memo reads/writes and DUP: material for expansion ("billion laughs") judgements. */
  | (PickleFactBase & {
      kind: 'pickle-stats';
      opcodes: number;
      gets: number;
      puts: number;
      dups: number;
      maxStack: number;
    })
  /** A hard limit stopped the analysis: what follows was not analysed. */
  | { kind: 'limit-reached'; limit: string; value: number; offset?: number; detail: string }
  /** A string constant that matched a payload indicator from the knowledge table. */
  | { kind: 'payload-string'; offset: number; indicator: string; reason: string; excerpt: string }
  /** A nested pickle found inside a bytes or string literal (its own artifact carries the details). */
  | { kind: 'embedded-pickle'; offset: number; encoding: EmbeddingKind; member: string; imports: number }
  | { kind: 'archive-unsafe-path'; name: string; reason: string }
  | { kind: 'archive-link'; name: string; target: string; linkType: 'symlink' | 'hardlink' }
  | { kind: 'archive-bomb'; name: string; compressed: number; uncompressed: number; ratio: number }
  | { kind: 'archive-encrypted'; name: string }
  | { kind: 'archive-damaged'; detail: string; offset?: number; name?: string }
  | { kind: 'archive-member-skipped'; name: string; detail: string }
  | { kind: 'torchscript-code'; name: string; size: number }
  | { kind: 'numpy-object-array'; descr: string; shape: number[] }
  /** The bytes could not be understood as the format they claim to be; `offset` is where parsing stopped. */
  | { kind: 'malformed'; detail: string; offset?: number }
  /** Content that was deliberately not analysed (unsupported method, encrypted, too deep): never clean. */
  | { kind: 'not-analysed'; detail: string; offset?: number }
  | { kind: 'extension-mismatch'; extension: string; expected: FormatName[]; actual: FormatName }
  | { kind: 'symlink-escape'; target: string }
  | { kind: 'unreadable'; detail: string }
  /** A Hub file whose downloaded bytes did not match the Hub's digest (it was left out of the audit). */
  | { kind: 'hub-file-rejected'; path: string; detail: string }
  /** A Hub target named by branch or tag: what is audited today may not be what is deployed tomorrow. */
  | { kind: 'hub-unpinned'; repo: string; revision: string; commit: string }
  /** A text file too large for the text inspectors (bounded memory): reported, never silently clean. */
  | { kind: 'text-not-inspected'; detail: string }
  | SafetensorsFact
  | TensorStatsFact
  | GgufFact
  | ChatTemplateFact
  | OnnxFact
  | KerasFact
  | SavedModelFact
  | ModelConfigFact
  | ModelCardFact
  | PythonCodeFact
  | SecretFact
  | PersonalDataFact
  | LicenceTextFact
  | LineageCardFact
  | DependencyFact;

export type FactKind = Fact['kind'];
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;

/** How an artifact was reached from its file. */
export type Origin =
  | { via: 'file' }
  | { via: 'archive'; container: FormatName }
  | { via: 'compression'; container: FormatName }
  | { via: 'embedded'; encoding: EmbeddingKind; offset: number }
  | { via: 'numpy-payload' }
  /** The same bytes read the way torch.load / pickle.load would read them, whatever their sniffed format. */
  | { via: 'as-pickle' };

/** One analysed byte stream: a file, or something inside it. */
export interface Artifact {
  /** Path of the file relative to the target root (or the file name for a single-file target). */
  file: string;
  /** Path inside the file, outermost container first, joined with "!/"; absent for the file itself. */
  member?: string;
  format: FormatName;
  origin: Origin;
  /** Nesting depth: 0 for the file itself. */
  depth: number;
  facts: Fact[];
}

export function factsOf<K extends FactKind>(artifact: Artifact, kind: K): FactOf<K>[] {
  return artifact.facts.filter((fact): fact is FactOf<K> => fact.kind === kind);
}
