import type { AnalysisLimits } from './analyse.js';
import type { Fact, FormatName } from './facts.js';
import type { ByteSource } from './source.js';

/** Where the bytes being analysed sit, for formats that judge names or reach sibling files. */
export interface Placement {
  /** Path of the file relative to the target root. */
  file: string;
  /** Absolute folder of the target on disk (for ONNX external data); absent for single-file targets' parents. */
  root?: string;
  /** Name of the member or file (its last path component is what `config.json`-style hints look at). */
  name: string;
  /** Format of the archive this member came from, if any (a `config.json` inside a `.keras` zip). */
  container?: FormatName;
  limits: AnalysisLimits;
}

export interface BinaryInput extends Placement {
  /** The first bytes (at least 4096, or all of them). */
  head: Uint8Array;
  /** Random access when the bytes are a file or an in-memory buffer; always streamable. */
  source: ByteSource;
  /** A pass over every byte from offset 0 (includes `head`); leave it unread when the format needs only a header. */
  stream: AsyncIterable<Uint8Array>;
  facts: Fact[];
}

/** A binary format without containers inside (safetensors, GGUF, ONNX, HDF5, SavedModel). */
export interface BinaryFormat {
  format: FormatName;
  /** Claims bytes the generic sniffer named `unknown` (formats without magic numbers, such as protobufs). */
  sniff?(head: Uint8Array, name: string | undefined, size: number | undefined): boolean;
  analyse(input: BinaryInput): Promise<void>;
}

export interface TextInput extends Placement {
  /** The whole file decoded as UTF-8 (files above `maxTextBytes` are not inspected). */
  text: string;
  format: FormatName;
  facts: Fact[];
}

/** A text file above `maxTextBytes`: not loaded whole; inspectors that can sample it read through `source`. */
export interface LargeTextInput extends Placement {
  source: ByteSource;
  format: FormatName;
  facts: Fact[];
}

/** Reads text files: configs, chat templates, Python code, secrets. Several inspectors may read the same file. */
export interface TextInspector {
  accepts(input: Omit<TextInput, 'text' | 'facts'>): boolean;
  inspect(input: TextInput): void | Promise<void>;
  /** Optional: samples a file too large to inspect whole (random access when `source.read` exists). */
  inspectLarge?(input: LargeTextInput): Promise<void>;
}
