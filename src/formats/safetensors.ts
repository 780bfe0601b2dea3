/**
 * safetensors: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw tensor data.
 * The header is validated the way `safetensors.safe_open` validates it (safetensors/src/tensor.rs), and each
 * departure becomes a fact with its offset; rules decide what it means. With `limits.deep` the data section is
 * streamed once and per-tensor running statistics (NaN, Inf, zeros, range) are reported; memory stays bounded.
 */
import { dtypeInfo } from '../knowledge/dtypes.js';
import type { FormatName } from './facts.js';
import type { BinaryFormat, BinaryInput } from './plugins.js';
import { sniffFormat } from './sniff.js';
import { ChunkReader, isRandomAccess } from './source.js';
import {
  decodable,
  HOST_LITTLE_ENDIAN,
  type TensorScanner,
  type TensorStatsFact,
  tensorScanner,
} from './tensor-stats.js';

/** safetensors refuses headers above this many bytes (`HeaderTooLarge`). */
export const MAX_HEADER_BYTES = 100_000_000;
/** Facts of one problem kind reported per file; the rest are counted in the header fact. */
const MAX_PROBLEMS = 100;
/** Characters of a `__metadata__` value kept in its fact (long enough for any payload indicator). */
const MAX_METADATA_VALUE = 64 * 1024;
/** Tensor names listed in a truncation fact. */
const MAX_NAMES = 20;

export type HeaderProblem =
  | 'too-short'
  | 'length-limit'
  | 'length-beyond-file'
  | 'encoding'
  | 'start'
  | 'json'
  | 'entry'
  | 'metadata';

export type LayoutProblem = 'span' | 'misaligned' | 'overflow' | 'reversed' | 'hole' | 'overlap';

export type SafetensorsFact =
  /** What the header declares; `dataStart` = 8 + headerLength; lengths in bytes. */
  | {
      kind: 'safetensors-header';
      headerLength: number;
      dataStart: number;
      tensors: number;
      dataLength: number;
      fileLength: number;
      /** Problem facts beyond the per-kind cap that were counted but not reported one by one. */
      suppressed: number;
    }
  /** One tensor entry with a known dtype; `begin` / `end` are relative to `dataStart`. */
  | { kind: 'safetensors-tensor'; name: string; dtype: string; shape: number[]; begin: number; end: number }
  /** The header cannot be read as safetensors requires. `tensor` names the entry at fault, if any. */
  | { kind: 'safetensors-header-invalid'; problem: HeaderProblem; detail: string; offset: number; tensor?: string }
  /** The same key twice in one JSON object: JSON parsers keep different copies (first or last). */
  | { kind: 'safetensors-duplicate-key'; key: string; scope: string; offset: number }
  | { kind: 'safetensors-unknown-dtype'; tensor: string; dtype: string; offset: number }
  /** A tensor's byte range disagrees with its shape and dtype, or with its neighbours. */
  | { kind: 'safetensors-layout'; problem: LayoutProblem; tensor: string; detail: string; offset: number }
  /** The file ends before the data the header declares; `tensors` lists (some of) those cut, `cut` counts them. */
  | { kind: 'safetensors-truncated'; expected: number; actual: number; tensors: string[]; cut: number }
  /** Bytes after the declared data; `looksLike` is what their first bytes sniff as, when they could be read. */
  | { kind: 'safetensors-trailing-data'; offset: number; length: number; looksLike?: FormatName }
  /** One `__metadata__` string entry (values above 64 KiB are cut, `truncated` set). */
  | { kind: 'safetensors-metadata'; key: string; value: string; offset: number; truncated?: boolean };

type Push = (fact: SafetensorsFact | TensorStatsFact) => void;

export const safetensorsFormat: BinaryFormat = {
  format: 'safetensors',
  // The generic sniffer only claims headers that fit in the file; a cut header or a wrong length in a file that
  // says it is safetensors should still be judged as one (the loader will try it).
  sniff: (head, name) =>
    /\.safetensors$/i.test(name ?? '') || (head.length > 9 && head[8] === 0x7b && head[9] === 0x22),
  analyse,
};

async function analyse(input: BinaryInput): Promise<void> {
  const problems = new Map<string, number>();
  let suppressed = 0;
  const push: Push = (fact) => {
    if (fact.kind !== 'safetensors-tensor' && fact.kind !== 'tensor-stats') {
      const seen = problems.get(fact.kind) ?? 0;
      problems.set(fact.kind, seen + 1);
      if (seen >= MAX_PROBLEMS) {
        suppressed++;
        return;
      }
    }
    input.facts.push(fact);
  };
  const reader = new ChunkReader(input.stream);
  try {
    const known = input.source.size;
    const prefix = await reader.readExact(8);
    if (prefix.length < 8) {
      push({
        kind: 'safetensors-header-invalid',
        problem: 'too-short',
        offset: 0,
        detail: 'the file is shorter than the 8-byte header length',
      });
      return;
    }
    const declared = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
    if (declared > BigInt(MAX_HEADER_BYTES)) {
      push({
        kind: 'safetensors-header-invalid',
        problem: 'length-limit',
        offset: 0,
        detail: `the header length is ${declared} bytes; safetensors refuses more than ${MAX_HEADER_BYTES}`,
      });
      return;
    }
    const headerLength = Number(declared);
    if (known !== undefined && 8 + headerLength > known) {
      push(beyondFile(headerLength, known));
      return;
    }
    const headerBytes = await readBounded(reader, headerLength);
    if (headerBytes.length < headerLength) {
      push(beyondFile(headerLength, 8 + headerBytes.length));
      return;
    }
    const header = parseHeader(headerBytes, push);
    for (const tensor of header?.tensors ?? []) {
      const { name, dtype, shape } = tensor;
      push({ kind: 'safetensors-tensor', name, dtype, shape, begin: Number(tensor.begin), end: Number(tensor.end) });
    }
    // Data after the header: counted when the size is unknown, decoded with --deep, otherwise left unread.
    const scanner = header && input.limits.deep ? deepScanner(header, 8 + headerLength, push) : undefined;
    let fileLength = known;
    if (scanner || fileLength === undefined) {
      let dataRead = 0;
      for (let piece = await reader.readSome(1 << 20); piece; piece = await reader.readSome(1 << 20)) {
        scanner?.push(piece);
        dataRead += piece.length;
      }
      fileLength ??= 8 + headerLength + dataRead;
    }
    if (!header) return;
    const dataStart = 8 + headerLength;
    await judgeEnd(input, header, dataStart, fileLength, push);
    input.facts.push({
      kind: 'safetensors-header',
      headerLength,
      dataStart,
      tensors: header.tensors.length,
      dataLength: Number(header.dataEnd),
      fileLength,
      suppressed,
    });
  } finally {
    await reader.close();
  }
}

function beyondFile(headerLength: number, available: number): SafetensorsFact {
  return {
    kind: 'safetensors-header-invalid',
    problem: 'length-beyond-file',
    offset: 0,
    detail: `the header claims ${headerLength} bytes but only ${Math.max(0, available - 8)} follow the length`,
  };
}

/** Reads `length` bytes without allocating them up front (a stream may end long before a hostile length). */
async function readBounded(reader: ChunkReader, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let filled = 0;
  while (filled < length) {
    const piece = await reader.readSome(length - filled);
    if (!piece) break;
    parts.push(piece);
    filled += piece.length;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Truncation and trailing data: 8 + N + the end of the last tensor must be the file length. */
async function judgeEnd(input: BinaryInput, header: Header, dataStart: number, fileLength: number, push: Push) {
  const expected = BigInt(dataStart) + header.dataEnd;
  const actual = BigInt(fileLength);
  if (expected > actual) {
    const available = actual - BigInt(dataStart);
    const cut = header.tensors.filter((tensor) => tensor.end > available);
    push({
      kind: 'safetensors-truncated',
      expected: Number(expected),
      actual: fileLength,
      tensors: cut.slice(0, MAX_NAMES).map((tensor) => tensor.name),
      cut: cut.length,
    });
  } else if (expected < actual) {
    const offset = Number(expected);
    let looksLike: FormatName | undefined;
    if (isRandomAccess(input.source)) looksLike = sniffFormat(await input.source.read(offset, 4096));
    push({ kind: 'safetensors-trailing-data', offset, length: fileLength - offset, looksLike });
  }
}

// ---- header ------------------------------------------------------------------------------------------------

interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: bigint;
  end: bigint;
  /** Byte offset of the entry's key in the file. */
  offset: number;
}

interface Header {
  tensors: TensorEntry[];
  /** End of the data section as declared (the largest tensor end). */
  dataEnd: bigint;
  /** No layout, dtype or entry problem: tensor ranges tile the data section. */
  sound: boolean;
}

const U64_MAX = (1n << 64n) - 1n;
const UNSIGNED = /^(0|[1-9][0-9]*)$/;

/** Validates the header; returns the tensors when the JSON could be read at all. */
function parseHeader(bytes: Uint8Array, push: Push): Header | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    push({ kind: 'safetensors-header-invalid', problem: 'encoding', offset: 8, detail: 'the header is not UTF-8' });
    return undefined;
  }
  if (text[0] !== '{') {
    push({
      kind: 'safetensors-header-invalid',
      problem: 'start',
      offset: 8,
      detail: `the header must start with "{" but starts with ${JSON.stringify(text.slice(0, 16))}`,
    });
    return undefined;
  }
  const ascii = text.length === bytes.length;
  const offsetOf = (index: number) => 8 + (ascii ? index : Buffer.byteLength(text.slice(0, index)));
  const tensors: TensorEntry[] = [];
  /** False once an entry or key is wrong: the loader stops there, and data cannot be attributed to tensors. */
  let sound = true;
  /** False when an entry's range could not be read: holes would then be guesses. */
  let ranges = true;
  const seen = new Set<string>();
  const parsed = readJsonObject(text, (key, at, value) => {
    const offset = offsetOf(at);
    if (seen.has(key)) {
      push({ kind: 'safetensors-duplicate-key', key, scope: 'header', offset });
      sound = false;
      return;
    }
    seen.add(key);
    if (key === '__metadata__') {
      readMetadata(value, offsetOf, push);
      return;
    }
    const read = readTensorEntry(key, value, offset, offsetOf, push);
    if (read.entry) tensors.push(read.entry);
    else ranges = false;
    if (!read.sound) sound = false;
  });
  if (!parsed.ok) {
    push({
      kind: 'safetensors-header-invalid',
      problem: 'json',
      offset: offsetOf(parsed.at),
      detail: `the header is not valid JSON: ${parsed.error}`,
    });
    return undefined;
  }
  const layout = checkLayout(tensors, ranges, push);
  return { tensors, dataEnd: layout.dataEnd, sound: sound && ranges && layout.sound };
}

function readMetadata(value: JsonNode, offsetOf: (index: number) => number, push: Push) {
  if (value.type === 'literal' && value.value === null) return;
  if (value.type !== 'object') {
    push({
      kind: 'safetensors-header-invalid',
      problem: 'metadata',
      offset: offsetOf(value.at),
      detail: `__metadata__ must map strings to strings but is ${describe(value)}`,
    });
    return;
  }
  const seen = new Set<string>();
  for (const entry of value.entries) {
    const offset = offsetOf(entry.at);
    if (seen.has(entry.key)) push({ kind: 'safetensors-duplicate-key', key: entry.key, scope: '__metadata__', offset });
    seen.add(entry.key);
    if (entry.value.type !== 'string') {
      push({
        kind: 'safetensors-header-invalid',
        problem: 'metadata',
        offset,
        detail: `__metadata__ value of ${JSON.stringify(entry.key)} is ${describe(entry.value)}, not a string`,
      });
      continue;
    }
    const text = entry.value.value;
    const truncated = text.length > MAX_METADATA_VALUE;
    push({
      kind: 'safetensors-metadata',
      key: entry.key,
      value: truncated ? text.slice(0, MAX_METADATA_VALUE) : text,
      offset: offsetOf(entry.value.at),
      ...(truncated ? { truncated } : {}),
    });
  }
}

/**
 * `{"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}`, strictly typed as serde reads it. The entry comes
 * back whenever its dtype is known and its fields are readable, even when its span is wrong (`sound` false).
 */
function readTensorEntry(
  name: string,
  value: JsonNode,
  offset: number,
  offsetOf: (index: number) => number,
  push: Push,
): { entry?: TensorEntry; sound: boolean } {
  const invalid = (detail: string) => {
    push({ kind: 'safetensors-header-invalid', problem: 'entry', offset, tensor: name, detail });
    return { sound: false };
  };
  if (value.type !== 'object') return invalid(`the entry is ${describe(value)}, not an object`);
  const fields = new Map<string, JsonNode>();
  for (const entry of value.entries) {
    if (fields.has(entry.key)) {
      push({ kind: 'safetensors-duplicate-key', key: entry.key, scope: name, offset: offsetOf(entry.at) });
      return { sound: false };
    }
    fields.set(entry.key, entry.value);
  }
  const dtype = fields.get('dtype');
  const shape = fields.get('shape');
  const offsets = fields.get('data_offsets');
  if (dtype?.type !== 'string') return invalid('"dtype" is missing or not a string');
  const shapeValues = unsignedArray(shape);
  if (!shapeValues) return invalid('"shape" is missing or not an array of unsigned integers');
  const range = unsignedArray(offsets);
  if (range?.length !== 2) return invalid('"data_offsets" is missing or not two unsigned integers');
  if (shapeValues.some((dimension) => dimension > BigInt(Number.MAX_SAFE_INTEGER))) {
    return invalid(`a dimension of shape [${shapeValues.join(', ')}] is beyond any real tensor`);
  }
  const info = dtypeInfo(dtype.value);
  if (!info) {
    push({ kind: 'safetensors-unknown-dtype', tensor: name, dtype: dtype.value, offset });
    return { sound: false };
  }
  const entry = { name, dtype: dtype.value, shape: shapeValues.map(Number), begin: range[0], end: range[1], offset };
  return { entry, sound: checkSpan(entry, BigInt(info.bits), shapeValues, push) };
}

function unsignedArray(node: JsonNode | undefined): bigint[] | undefined {
  if (node?.type !== 'array') return undefined;
  const values: bigint[] = [];
  for (const item of node.items) {
    if (item.type !== 'number' || !UNSIGNED.test(item.raw)) return undefined;
    const value = BigInt(item.raw);
    if (value > U64_MAX) return undefined;
    values.push(value);
  }
  return values;
}

/** end − begin must equal elements × bits / 8, with overflow and byte alignment checked like the loader does. */
function checkSpan(entry: TensorEntry, bits: bigint, shape: bigint[], push: Push): boolean {
  const fail = (problem: LayoutProblem, detail: string) => {
    push({ kind: 'safetensors-layout', problem, tensor: entry.name, offset: entry.offset, detail });
    return false;
  };
  if (entry.end < entry.begin)
    return fail('reversed', `data_offsets [${entry.begin}, ${entry.end}] end before they begin`);
  let elements = 1n;
  for (const dimension of shape) {
    elements *= dimension;
    if (elements > U64_MAX) return fail('overflow', `shape [${shape.join(', ')}] overflows a 64-bit element count`);
  }
  const totalBits = elements * bits;
  if (totalBits > U64_MAX) return fail('overflow', `shape [${shape.join(', ')}] overflows a 64-bit byte count`);
  if (totalBits % 8n !== 0n) {
    return fail('misaligned', `${elements} elements of ${entry.dtype} do not fill a whole number of bytes`);
  }
  const size = totalBits / 8n;
  if (entry.end - entry.begin !== size) {
    return fail(
      'span',
      `shape [${shape.join(', ')}] of ${entry.dtype} needs ${size} bytes but data_offsets [${entry.begin}, ${entry.end}] hold ${entry.end - entry.begin}`,
    );
  }
  return true;
}

/** Sorted by offset, the ranges must tile the data section from 0: no holes, no overlaps. */
function checkLayout(tensors: TensorEntry[], complete: boolean, push: Push): { dataEnd: bigint; sound: boolean } {
  tensors.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let expected = 0n;
  let sound = true;
  for (const tensor of tensors) {
    if (tensor.begin !== expected && (complete || tensor.begin < expected)) {
      sound = false;
      const hole = tensor.begin > expected;
      push({
        kind: 'safetensors-layout',
        problem: hole ? 'hole' : 'overlap',
        tensor: tensor.name,
        offset: tensor.offset,
        detail: hole
          ? `bytes ${expected}–${tensor.begin} of the data section belong to no tensor`
          : `its data starts at ${tensor.begin}, inside the previous tensor (which ends at ${expected})`,
      });
    }
    if (tensor.end > expected) expected = tensor.end;
  }
  return { dataEnd: expected, sound };
}

function describe(node: JsonNode): string {
  return node.type === 'literal' ? String(node.value) : `a ${node.type}`;
}

// ---- a JSON reader that keeps what JSON.parse hides ---------------------------------------------------------

/**
 * JSON values with their positions. Objects keep every entry, duplicates included (JSON.parse silently keeps
 * the last one), and numbers keep their source text (JSON.parse rounds integers above 2^53).
 */
export type JsonNode =
  | { type: 'object'; at: number; entries: JsonEntry[] }
  | { type: 'array'; at: number; items: JsonNode[] }
  | { type: 'string'; at: number; value: string }
  | { type: 'number'; at: number; raw: string }
  | { type: 'literal'; at: number; value: boolean | null };

export interface JsonEntry {
  key: string;
  /** Index of the key's opening quote in the text. */
  at: number;
  value: JsonNode;
}

export type JsonResult = { ok: true } | { ok: false; error: string; at: number };

/** serde_json's recursion limit: deeper documents are refused by the loader too. */
const MAX_JSON_DEPTH = 128;

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/**
 * Reads a JSON document whose root is an object, handing each top-level entry to `onEntry` as soon as it is read,
 * so a 100k-entry header never exists as one tree. Trailing whitespace is allowed (safetensors pads with spaces).
 */
export function readJsonObject(text: string, onEntry: (key: string, at: number, value: JsonNode) => void): JsonResult {
  const reader = new JsonReader(text);
  try {
    reader.space();
    reader.object(0, onEntry);
    reader.space();
    if (reader.position < text.length) reader.fail('unexpected text after the closing brace');
    return { ok: true };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, error: error.message, at: error.at };
    throw error;
  }
}

class JsonReader {
  position = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.position): never {
    throw new JsonSyntaxError(`${message} at character ${at}`, at);
  }

  space() {
    const text = this.text;
    let i = this.position;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.position = i;
  }

  object(depth: number, onEntry: (key: string, at: number, value: JsonNode) => void) {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    if (this.text[this.position] !== '{') this.fail('expected "{"');
    this.position++;
    this.space();
    if (this.text[this.position] === '}') {
      this.position++;
      return;
    }
    for (;;) {
      this.space();
      const at = this.position;
      if (this.text[at] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.space();
      if (this.text[this.position] !== ':') this.fail('expected ":"');
      this.position++;
      this.space();
      onEntry(key, at, this.value(depth + 1));
      this.space();
      const next = this.text[this.position++];
      if (next === '}') return;
      if (next !== ',') this.fail('expected "," or "}"', this.position - 1);
    }
  }

  value(depth: number): JsonNode {
    const at = this.position;
    const c = this.text[at];
    if (c === '{') {
      const entries: JsonEntry[] = [];
      this.object(depth, (key, keyAt, value) => entries.push({ key, at: keyAt, value }));
      return { type: 'object', at, entries };
    }
    if (c === '[') {
      if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
      this.position++;
      const items: JsonNode[] = [];
      this.space();
      if (this.text[this.position] === ']') {
        this.position++;
        return { type: 'array', at, items };
      }
      for (;;) {
        this.space();
        items.push(this.value(depth + 1));
        this.space();
        const next = this.text[this.position++];
        if (next === ']') return { type: 'array', at, items };
        if (next !== ',') this.fail('expected "," or "]"', this.position - 1);
      }
    }
    if (c === '"') return { type: 'string', at, value: this.string() };
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, at)) {
        this.position += word.length;
        return { type: 'literal', at, value };
      }
    }
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('expected a value');
    this.position += match[0].length;
    return { type: 'number', at, raw: match[0] };
  }

  string(): string {
    const text = this.text;
    const start = this.position;
    let escaped = false;
    let i = start + 1;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) this.fail('control character in a string', i);
      if (c === 0x5c) {
        escaped = true;
        i++;
      }
    }
    if (i >= text.length) this.fail('unterminated string', start);
    this.position = i + 1;
    if (!escaped) return text.slice(start + 1, i);
    try {
      // Escapes decoded by the platform: "\u0061" and "a" are the same key, as every loader sees them.
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch {
      this.fail('invalid escape in a string', start);
    }
  }
}

const LITERALS: readonly [string, boolean | null][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

// ---- --deep: per-tensor statistics over one pass of the data section ---------------------------------------

/** A scanner over the data section, or undefined (with a fact saying why) when values cannot be located. */
function deepScanner(header: Header, dataStart: number, push: Push): TensorScanner | undefined {
  if (!header.sound || !HOST_LITTLE_ENDIAN) {
    push({
      kind: 'tensor-not-decoded',
      tensors: header.tensors.length,
      detail: HOST_LITTLE_ENDIAN
        ? 'the tensor ranges are invalid, so values cannot be attributed to tensors'
        : 'decoding needs a little-endian host',
    });
    return undefined;
  }
  const skipped = new Map<string, number>();
  for (const { dtype } of header.tensors) {
    const kind = dtypeInfo(dtype)?.kind;
    if (!decodable(dtype) && (kind === 'float' || kind === 'complex'))
      skipped.set(dtype, (skipped.get(dtype) ?? 0) + 1);
  }
  for (const [dtype, tensors] of skipped) {
    push({ kind: 'tensor-not-decoded', dtype, tensors, detail: `${dtype} values are not decoded by Assay` });
  }
  const ranges = header.tensors.map(({ name, dtype, shape, begin, end }) => ({
    name,
    dtype,
    shape,
    begin: dataStart + Number(begin),
    end: dataStart + Number(end),
  }));
  return tensorScanner(ranges, dataStart, push);
}
