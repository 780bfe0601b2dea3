/**
 * GGUF v1–v3 (llama.cpp `docs/gguf.md`): header, metadata key/values (every type, nested arrays), tensor infos,
 * alignment and the layout of the data section. Reads the header and metadata from the start of the stream; tensor
 * data is never buffered. Every count and length is checked against limits and the file size before anything is
 * allocated. Facts only: rules judge. With `--deep` the data section is streamed once after the header and the
 * unquantised tensors (F32, F16, BF16, F64) get running statistics (tensor-stats.ts); quantised ones are counted as
 * not decoded.
 */
import { GGUF_FILE_TYPES, ggmlType, REMOVED_GGML_TYPES } from '../knowledge/ggml-types.js';
import { CHAT_TEMPLATE_LIMITS, inspectChatTemplate } from './chat-template.js';
import type { Fact } from './facts.js';
import type { BinaryFormat } from './plugins.js';
import { decodable, HOST_LITTLE_ENDIAN, type TensorRange, type TensorScanner, tensorScanner } from './tensor-stats.js';

export type GgufAnomalyCode =
  | 'bad-alignment'
  | 'duplicate-key'
  | 'key-not-ascii'
  | 'bad-bool'
  | 'metadata-type'
  | 'duplicate-tensor'
  | 'tensor-name-too-long'
  | 'too-many-dims'
  | 'unknown-ggml-type'
  | 'removed-ggml-type'
  | 'row-not-block-multiple'
  | 'tensor-too-large'
  | 'tensor-misaligned'
  | 'tensor-out-of-bounds'
  | 'tensor-overlap'
  | 'data-gap'
  | 'trailing-bytes';

export interface GgufBaseModel {
  name?: string;
  author?: string;
  version?: string;
  organization?: string;
  url?: string;
  doi?: string;
  uuid?: string;
  repoUrl?: string;
}

export type GgufFact =
  /** The fixed header and the layout derived from it. */
  | {
      kind: 'gguf-header';
      version: number;
      endianness: 'little' | 'big';
      tensorCount: number;
      kvCount: number;
      alignment: number;
      /** Start of the tensor data section (absent when parsing stopped before the tensor infos ended). */
      dataOffset?: number;
      fileSize?: number;
    }
  /** What the metadata says about the model: identity, licence, lineage, quantisation, sources. */
  | {
      kind: 'gguf-metadata';
      architecture?: string;
      name?: string;
      basename?: string;
      sizeLabel?: string;
      organization?: string;
      author?: string;
      version?: string;
      quantizedBy?: string;
      license?: string;
      licenseName?: string;
      licenseLink?: string;
      /** `general.base_model.count` as declared. */
      baseModelCount?: number;
      baseModels: GgufBaseModel[];
      /** `general.file_type` and its llama.cpp name. */
      fileType?: number;
      fileTypeName?: string;
      quantizationVersion?: number;
      /** Tensor count per ggml type name (`Q4_K: 120`). */
      tensorTypes: Record<string, number>;
      /** Total elements over all tensors (the parameter count). */
      parameters: number;
      /** URLs and repositories the model claims to come from. */
      sources: { key: string; value: string }[];
      /** Metadata keys holding chat templates. */
      chatTemplates: string[];
    }
  /** A structural problem that does not stop parsing. */
  | {
      kind: 'gguf-anomaly';
      code: GgufAnomalyCode;
      detail: string;
      offset?: number;
      key?: string;
      tensor?: string;
    };

/** Hard limits (each one reached is a fact with its offset). */
export const GGUF_LIMITS = {
  maxKv: 1_000_000,
  maxTensors: 1_000_000,
  /** Keys longer than this are not valid GGUF (the spec's 65,535). */
  maxKeyBytes: 65_535,
  /** Metadata strings kept in memory; longer ones are skipped (chat templates have their own limit). */
  maxKeptString: 64 << 10,
  /** Nested arrays. */
  maxArrayDepth: 8,
  /** Array items kept for the report; the rest are read and dropped. */
  maxKeptItems: 64,
  /** Dimensions per tensor before parsing gives up (ggml's own maximum is 4). */
  maxDims: 16,
  maxBaseModels: 64,
} as const;

const VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
const FIXED_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];
const GGML_MAX_DIMS = 4;
const MAX_TENSOR_NAME = 64;

/** A parse that cannot go on: reported as `malformed` at `offset`. */
class Stop extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly limit?: { name: string; value: number },
  ) {
    super(message);
  }
}

type Value = number | bigint | boolean | string | { skipped: number } | Value[] | { items: Value[]; count: number };

/** Sequential reader over a chunk stream: buffers only what the current field needs. */
class StreamReader {
  private buffer = new Uint8Array(0);
  private start = 0;
  /** Absolute offset of `buffer[0]`. */
  private base = 0;
  private done = false;
  littleEndian = true;

  constructor(
    private readonly iterator: AsyncIterator<Uint8Array>,
    readonly size: number | undefined,
  ) {}

  get offset(): number {
    return this.base + this.start;
  }

  /** Bytes known to remain (infinite when the size is unknown). */
  get remaining(): number {
    return this.size === undefined ? Number.POSITIVE_INFINITY : this.size - this.offset;
  }

  private async fill(want: number): Promise<boolean> {
    while (this.buffer.length - this.start < want && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const rest = this.buffer.subarray(this.start);
      const merged = new Uint8Array(rest.length + next.value.length);
      merged.set(rest);
      merged.set(next.value, rest.length);
      this.base += this.start;
      this.start = 0;
      this.buffer = merged;
    }
    return this.buffer.length - this.start >= want;
  }

  async bytes(length: number, what: string): Promise<Uint8Array> {
    if (!(await this.fill(length))) throw new Stop(`the file ends inside ${what}`, this.offset);
    const out = this.buffer.subarray(this.start, this.start + length);
    this.start += length;
    return out;
  }

  /** Skips bytes without keeping them. */
  async skip(length: number, what: string): Promise<void> {
    let left = length;
    while (left > 0) {
      const available = this.buffer.length - this.start;
      if (available === 0 && !(await this.fill(1))) throw new Stop(`the file ends inside ${what}`, this.offset);
      const step = Math.min(left, this.buffer.length - this.start);
      this.start += step;
      left -= step;
    }
  }

  private async view(length: number, what: string): Promise<DataView> {
    const bytes = await this.bytes(length, what);
    return new DataView(bytes.buffer, bytes.byteOffset, length);
  }

  async u8(what: string) {
    return (await this.view(1, what)).getUint8(0);
  }
  async u32(what: string) {
    return (await this.view(4, what)).getUint32(0, this.littleEndian);
  }
  async u64(what: string): Promise<bigint> {
    return (await this.view(8, what)).getBigUint64(0, this.littleEndian);
  }

  async scalar(type: number, what: string): Promise<number | bigint | boolean> {
    const view = await this.view(FIXED_SIZE[type], what);
    const le = this.littleEndian;
    switch (type) {
      case 0:
        return view.getUint8(0);
      case 1:
        return view.getInt8(0);
      case 2:
        return view.getUint16(0, le);
      case 3:
        return view.getInt16(0, le);
      case 4:
        return view.getUint32(0, le);
      case 5:
        return view.getInt32(0, le);
      case 6:
        return view.getFloat32(0, le);
      case 7:
        return view.getUint8(0);
      case 10:
        return view.getBigUint64(0, le);
      case 11:
        return view.getBigInt64(0, le);
      default:
        return view.getFloat64(0, le);
    }
  }

  /**
   * Reads the rest of the stream without keeping it, handing each piece to `scanner`; returns the stream length
   * when it was read to the end. With a known size, reading stops once the scanner is done.
   */
  async drain(scanner?: TensorScanner): Promise<number> {
    const rest = this.buffer.subarray(this.start);
    let total = this.base + this.buffer.length;
    this.base = total;
    this.buffer = new Uint8Array(0);
    this.start = 0;
    if (rest.length > 0) scanner?.push(rest);
    while (!this.done && !(scanner?.done && this.size !== undefined)) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        scanner?.push(next.value);
        total += next.value.length;
        this.base = total;
      }
    }
    return total;
  }
}

interface TensorInfo {
  name: string;
  dims: bigint[];
  type: number;
  offset: bigint;
  /** Offset of the tensor info record in the file. */
  at: number;
}

/** Keys whose values the metadata fact reports (all `general.*`) plus the ones the layout needs. */
const KEPT_KEY = /^general\.|^tokenizer\.chat_template/;
const CHAT_TEMPLATE_KEY = /^tokenizer\.chat_template(\.[^.]+)?$/;

class GgufParser {
  private readonly metadata = new Map<string, Value>();
  private readonly keys = new Set<string>();
  private readonly chatTemplates: string[] = [];
  private countBytes: 4 | 8 = 8;

  constructor(
    private readonly reader: StreamReader,
    private readonly facts: Fact[],
    private readonly deep = false,
  ) {}

  private anomaly(
    code: GgufAnomalyCode,
    detail: string,
    extra: { offset?: number; key?: string; tensor?: string } = {},
  ) {
    this.facts.push({ kind: 'gguf-anomaly', code, detail, ...extra });
  }

  /** A u32 (v1) or u64 (v2+) count or length, refused when it cannot fit in what remains of the file. */
  private async count(what: string, unit: number, limit?: number): Promise<number> {
    const at = this.reader.offset;
    const raw = this.countBytes === 4 ? BigInt(await this.reader.u32(what)) : await this.reader.u64(what);
    const remaining = this.reader.remaining;
    if (raw > BigInt(Number.MAX_SAFE_INTEGER) || (unit > 0 && Number(raw) * unit > remaining)) {
      throw new Stop(
        `${what} is ${raw}, more than the ${Number.isFinite(remaining) ? remaining : 'available'} bytes left in the file can hold`,
        at,
      );
    }
    const value = Number(raw);
    if (limit !== undefined && value > limit) {
      throw new Stop(`${what} is ${value}; the limit is ${limit}`, at, { name: what, value });
    }
    return value;
  }

  private async string(
    what: string,
    keep: number,
    maxLength?: number,
  ): Promise<{ text?: string; length: number; at: number }> {
    const lengthAt = this.reader.offset;
    const length = await this.count(`${what} length`, 1);
    if (maxLength !== undefined && length > maxLength) {
      throw new Stop(`${what} is ${length} bytes long; GGUF allows ${maxLength}`, lengthAt);
    }
    const at = this.reader.offset;
    if (length > keep) {
      await this.reader.skip(length, what);
      return { length, at };
    }
    const bytes = await this.reader.bytes(length, what);
    return { text: new TextDecoder().decode(bytes), length, at };
  }

  async parse(): Promise<void> {
    const reader = this.reader;
    await reader.bytes(4, 'the magic number');
    const versionBytes = await reader.bytes(4, 'the version');
    const view = new DataView(versionBytes.buffer, versionBytes.byteOffset, 4);
    let version = view.getUint32(0, true);
    if ((version < 1 || version > 3) && view.getUint32(0, false) >= 1 && view.getUint32(0, false) <= 3) {
      reader.littleEndian = false;
      version = view.getUint32(0, false);
    }
    if (version < 1 || version > 3) throw new Stop(`GGUF version ${version} is not supported (1 to 3 are)`, 4);
    this.countBytes = version === 1 ? 4 : 8;
    const tensorCount = await this.count('tensor_count', this.countBytes + 16, GGUF_LIMITS.maxTensors);
    const kvCount = await this.count('metadata_kv_count', this.countBytes + 5, GGUF_LIMITS.maxKv);
    const header: Extract<GgufFact, { kind: 'gguf-header' }> = {
      kind: 'gguf-header',
      version,
      endianness: reader.littleEndian ? 'little' : 'big',
      tensorCount,
      kvCount,
      alignment: 32,
      fileSize: reader.size,
    };
    this.facts.push(header);
    try {
      for (let i = 0; i < kvCount; i++) await this.keyValue();
      header.alignment = this.alignment();
      const tensors: TensorInfo[] = [];
      for (let i = 0; i < tensorCount; i++) tensors.push(await this.tensorInfo());
      const dataOffset = alignUp(reader.offset, header.alignment);
      header.dataOffset = dataOffset;
      const scanner = this.deep ? this.scanner(tensors, dataOffset) : undefined;
      const drained = scanner || reader.size === undefined ? await reader.drain(scanner) : undefined;
      const fileSize = reader.size ?? (drained as number);
      header.fileSize = fileSize;
      this.layout(tensors, dataOffset, fileSize, header.alignment);
      this.facts.push(this.summary(tensors));
    } catch (error) {
      // What was read so far still describes the model.
      this.facts.push(this.summary([]));
      throw error;
    }
  }

  private async keyValue(): Promise<void> {
    const at = this.reader.offset;
    const { text: key = '' } = await this.string('a metadata key', GGUF_LIMITS.maxKeyBytes, GGUF_LIMITS.maxKeyBytes);
    if (this.keys.has(key))
      this.anomaly('duplicate-key', `metadata key ${JSON.stringify(key)} appears twice`, { offset: at, key });
    this.keys.add(key);
    if (/[^\x20-\x7e]/.test(key)) {
      this.anomaly('key-not-ascii', `metadata key ${JSON.stringify(key)} is not printable ASCII`, { offset: at, key });
    }
    const type = await this.reader.u32(`the type of ${key}`);
    const valueAt = this.reader.offset;
    if (CHAT_TEMPLATE_KEY.test(key) && type === 8) {
      const limit = CHAT_TEMPLATE_LIMITS.maxChars * 4;
      const { text, length, at: textAt } = await this.string(key, limit);
      this.chatTemplates.push(key);
      if (text === undefined) {
        this.facts.push({
          kind: 'not-analysed',
          offset: textAt,
          detail: `chat template ${key} is ${length} bytes long; templates above ${limit} bytes are not parsed`,
        });
      } else {
        this.metadata.set(key, `(${length} bytes)`);
        inspectChatTemplate(text, key, this.facts, { offset: textAt });
      }
      return;
    }
    const value = await this.value(type, key, 0, KEPT_KEY.test(key));
    if (KEPT_KEY.test(key)) this.metadata.set(key, value);
    if (key === 'general.alignment' && type !== 4) {
      this.anomaly('metadata-type', `general.alignment has type ${VALUE_TYPES[type] ?? type}; the spec says u32`, {
        offset: valueAt,
        key,
      });
    }
  }

  private async value(type: number, key: string, depth: number, keep: boolean): Promise<Value> {
    const at = this.reader.offset;
    if (type === 8) {
      const { text, length } = await this.string(key, keep ? GGUF_LIMITS.maxKeptString : 0);
      return text ?? { skipped: length };
    }
    if (type === 9) {
      if (depth >= GGUF_LIMITS.maxArrayDepth) {
        throw new Stop(`arrays nest deeper than ${GGUF_LIMITS.maxArrayDepth} levels in ${key}`, at, {
          name: 'gguf-array-depth',
          value: depth,
        });
      }
      const itemType = await this.reader.u32(`the item type of ${key}`);
      if (itemType >= VALUE_TYPES.length) throw new Stop(`array ${key} has unknown item type ${itemType}`, at + 4);
      const unit = itemType === 8 ? this.countBytes : itemType === 9 ? 4 + this.countBytes : FIXED_SIZE[itemType];
      const count = await this.count(`the item count of ${key}`, unit);
      const items: Value[] = [];
      for (let i = 0; i < count; i++) {
        const item = await this.value(itemType, key, depth + 1, keep && i < GGUF_LIMITS.maxKeptItems);
        if (keep && i < GGUF_LIMITS.maxKeptItems) items.push(item);
      }
      return count > items.length ? { items, count } : items;
    }
    if (type >= VALUE_TYPES.length) throw new Stop(`metadata value ${key} has unknown type ${type}`, at - 4);
    const value = await this.reader.scalar(type, key);
    if (type === 7) {
      if (value !== 0 && value !== 1)
        this.anomaly('bad-bool', `boolean ${key} holds ${value}; only 0 and 1 are valid`, { offset: at, key });
      return value !== 0;
    }
    return value;
  }

  private alignment(): number {
    const value = this.metadata.get('general.alignment');
    if (value === undefined) return 32;
    const number = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : Number.NaN;
    if (
      !Number.isInteger(number) ||
      number <= 0 ||
      number % 8 !== 0 ||
      (number & (number - 1)) !== 0 ||
      number > 1 << 30
    ) {
      this.anomaly(
        'bad-alignment',
        `general.alignment is ${String(value)}; it must be a power of two and a multiple of 8`,
        {
          key: 'general.alignment',
        },
      );
      return 32;
    }
    return number;
  }

  private async tensorInfo(): Promise<TensorInfo> {
    const at = this.reader.offset;
    const { text: name = '', length } = await this.string(
      'a tensor name',
      GGUF_LIMITS.maxKeyBytes,
      GGUF_LIMITS.maxKeyBytes,
    );
    if (length > MAX_TENSOR_NAME) {
      this.anomaly('tensor-name-too-long', `tensor name is ${length} bytes; ggml allows ${MAX_TENSOR_NAME}`, {
        offset: at,
        tensor: name,
      });
    }
    const dimsAt = this.reader.offset;
    const nDims = await this.reader.u32(`the dimension count of ${name}`);
    if (nDims > GGUF_LIMITS.maxDims)
      throw new Stop(`tensor ${JSON.stringify(name)} declares ${nDims} dimensions`, dimsAt);
    if (nDims > GGML_MAX_DIMS) {
      this.anomaly('too-many-dims', `tensor has ${nDims} dimensions; ggml supports ${GGML_MAX_DIMS}`, {
        offset: dimsAt,
        tensor: name,
      });
    }
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) {
      dims.push(
        this.countBytes === 4
          ? BigInt(await this.reader.u32(`a dimension of ${name}`))
          : await this.reader.u64(`a dimension of ${name}`),
      );
    }
    const type = await this.reader.u32(`the type of ${name}`);
    const offset = await this.reader.u64(`the offset of ${name}`);
    return { name, dims, type, offset, at };
  }

  /**
   * `--deep`: a scanner over the unquantised tensors, in file offsets. Ranges past the end of the file never complete
   * (truncation is the layout's finding); quantised tensors are reported as not decoded, per type.
   */
  private scanner(tensors: TensorInfo[], dataOffset: number): TensorScanner | undefined {
    const ranges: TensorRange[] = [];
    const skipped = new Map<string, number>();
    const limit = this.reader.size ?? Number.MAX_SAFE_INTEGER;
    for (const tensor of tensors) {
      const info = ggmlType(tensor.type);
      if (!info) continue; // unknown or removed types: the layout reports them
      if (!GGML_DTYPES.has(info.name)) {
        if (info.blockSize > 1) skipped.set(info.name, (skipped.get(info.name) ?? 0) + 1);
        continue;
      }
      const bytes = tensor.dims.reduce((product, dim) => product * dim, 1n) * BigInt(info.typeSize);
      const begin = BigInt(dataOffset) + tensor.offset;
      if (begin + bytes > BigInt(limit)) continue;
      ranges.push({
        name: tensor.name,
        dtype: info.name,
        shape: tensor.dims.map(Number),
        begin: Number(begin),
        end: Number(begin + bytes),
      });
    }
    for (const [dtype, count] of skipped) {
      this.facts.push({
        kind: 'tensor-not-decoded',
        dtype,
        tensors: count,
        detail: `${dtype} is a quantised ggml type; its values are not decoded by Assay`,
      });
    }
    if (ranges.length === 0) return undefined;
    if (!this.reader.littleEndian || !HOST_LITTLE_ENDIAN) {
      this.facts.push({
        kind: 'tensor-not-decoded',
        tensors: ranges.length,
        detail: this.reader.littleEndian
          ? 'decoding needs a little-endian host'
          : 'the file is big-endian; Assay decodes little-endian tensor data only',
      });
      return undefined;
    }
    return tensorScanner(ranges, this.reader.offset, (fact) => this.facts.push(fact));
  }

  /** Sizes, alignment, bounds and overlaps of the tensor data. */
  private layout(tensors: TensorInfo[], dataOffset: number, fileSize: number, alignment: number) {
    const names = new Set<string>();
    const placed: { tensor: TensorInfo; start: bigint; end: bigint }[] = [];
    const dataEnd = BigInt(fileSize);
    for (const tensor of tensors) {
      const where = { offset: tensor.at, tensor: tensor.name };
      if (names.has(tensor.name))
        this.anomaly('duplicate-tensor', `tensor ${JSON.stringify(tensor.name)} appears twice`, where);
      names.add(tensor.name);
      const info = ggmlType(tensor.type);
      if (!info) {
        const removed = REMOVED_GGML_TYPES.get(tensor.type);
        this.anomaly(
          removed ? 'removed-ggml-type' : 'unknown-ggml-type',
          removed ? `ggml type ${tensor.type} is ${removed}` : `ggml type ${tensor.type} is unknown`,
          where,
        );
        continue;
      }
      const elements = tensor.dims.reduce((product, dim) => product * dim, 1n);
      if (tensor.dims.length > 0 && tensor.dims[0] % BigInt(info.blockSize) !== 0n) {
        this.anomaly(
          'row-not-block-multiple',
          `rows of ${tensor.dims[0]} elements are not a multiple of ${info.name}'s block of ${info.blockSize}`,
          where,
        );
        continue;
      }
      const bytes = (elements / BigInt(info.blockSize)) * BigInt(info.typeSize);
      if (tensor.offset % BigInt(alignment) !== 0n) {
        this.anomaly(
          'tensor-misaligned',
          `data offset ${tensor.offset} is not a multiple of the alignment ${alignment}`,
          where,
        );
      }
      const start = BigInt(dataOffset) + tensor.offset;
      const end = start + bytes;
      if (end > dataEnd) {
        this.anomaly(
          bytes > dataEnd ? 'tensor-too-large' : 'tensor-out-of-bounds',
          `${info.name} tensor of shape [${tensor.dims.join(', ')}] takes ${bytes} bytes from file offset ${start}, past the end of the file (${fileSize} bytes)`,
          where,
        );
        continue;
      }
      placed.push({ tensor, start, end });
    }
    placed.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let cursor = BigInt(dataOffset);
    let previous: TensorInfo | undefined;
    for (const { tensor, start, end } of placed) {
      if (start < cursor && previous) {
        this.anomaly(
          'tensor-overlap',
          `tensor data starts at file offset ${start}, inside ${JSON.stringify(previous.name)} (which ends at ${cursor})`,
          {
            offset: tensor.at,
            tensor: tensor.name,
          },
        );
      } else if (start > alignUpBig(cursor, alignment)) {
        this.anomaly(
          'data-gap',
          `${start - cursor} bytes before tensor ${JSON.stringify(tensor.name)} belong to no tensor`,
          {
            offset: Number(cursor),
            tensor: tensor.name,
          },
        );
      }
      if (end > cursor) {
        cursor = end;
        previous = tensor;
      }
    }
    if (
      placed.length === tensors.length &&
      dataEnd > alignUpBig(cursor, alignment) &&
      (placed.length > 0 || dataEnd > BigInt(dataOffset))
    ) {
      this.anomaly('trailing-bytes', `${dataEnd - cursor} bytes after the last tensor's data belong to no tensor`, {
        offset: Number(cursor),
      });
    }
  }

  private summary(tensors: TensorInfo[]): Extract<GgufFact, { kind: 'gguf-metadata' }> {
    const text = (key: string) => {
      const value = this.metadata.get(key);
      return typeof value === 'string' ? value : undefined;
    };
    const number = (key: string) => {
      const value = this.metadata.get(key);
      return typeof value === 'number' || typeof value === 'bigint' ? Number(value) : undefined;
    };
    const baseModelCount = number('general.base_model.count');
    const baseModels: GgufBaseModel[] = [];
    for (let i = 0; i < Math.min(baseModelCount ?? 0, GGUF_LIMITS.maxBaseModels); i++) {
      const prefix = `general.base_model.${i}.`;
      const model: GgufBaseModel = {};
      for (const [field, key] of [
        ['name', 'name'],
        ['author', 'author'],
        ['version', 'version'],
        ['organization', 'organization'],
        ['url', 'url'],
        ['doi', 'doi'],
        ['uuid', 'uuid'],
        ['repoUrl', 'repo_url'],
      ] as const) {
        const value = text(prefix + key);
        if (value !== undefined) model[field] = value;
      }
      baseModels.push(model);
    }
    const sources: { key: string; value: string }[] = [];
    for (const [key, value] of this.metadata) {
      if (typeof value !== 'string') continue;
      if (/^general\.(source\.|url$|repo_url$|doi$|base_model\.\d+\.(url|repo_url)$)/.test(key))
        sources.push({ key, value });
    }
    const tensorTypes: Record<string, number> = {};
    let parameters = 0n;
    for (const tensor of tensors) {
      const name = ggmlType(tensor.type)?.name ?? `type ${tensor.type}`;
      tensorTypes[name] = (tensorTypes[name] ?? 0) + 1;
      parameters += tensor.dims.reduce((product, dim) => product * dim, 1n);
    }
    const fileType = number('general.file_type');
    const fact: Extract<GgufFact, { kind: 'gguf-metadata' }> = {
      kind: 'gguf-metadata',
      architecture: text('general.architecture'),
      name: text('general.name'),
      basename: text('general.basename'),
      sizeLabel: text('general.size_label'),
      organization: text('general.organization'),
      author: text('general.author'),
      version: text('general.version'),
      quantizedBy: text('general.quantized_by'),
      license: text('general.license'),
      licenseName: text('general.license.name'),
      licenseLink: text('general.license.link'),
      baseModelCount,
      baseModels,
      fileType,
      fileTypeName: fileType === undefined ? undefined : GGUF_FILE_TYPES.get(fileType),
      quantizationVersion: number('general.quantization_version'),
      tensorTypes,
      parameters: Number(parameters),
      sources,
      chatTemplates: this.chatTemplates,
    };
    const record = fact as unknown as Record<string, unknown>;
    for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
    return fact;
  }
}

/** ggml types decoded with `--deep`: the same names as the dtype table's (F32, F16, BF16, F64). */
const GGML_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64'].filter(decodable));

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

function alignUpBig(offset: bigint, alignment: number): bigint {
  const a = BigInt(alignment);
  return ((offset + a - 1n) / a) * a;
}

export const ggufFormat: BinaryFormat = {
  format: 'gguf',
  async analyse({ stream, source, facts, limits }) {
    const iterator = stream[Symbol.asyncIterator]();
    const reader = new StreamReader(iterator, source.size);
    try {
      await new GgufParser(reader, facts, limits.deep).parse();
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      if (error.limit) {
        facts.push({
          kind: 'limit-reached',
          limit: error.limit.name,
          value: error.limit.value,
          offset: error.offset,
          detail: error.message,
        });
      } else facts.push({ kind: 'malformed', detail: error.message, offset: error.offset });
    } finally {
      await iterator.return?.();
    }
  },
};
