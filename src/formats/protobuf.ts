/**
 * A bounded streaming protobuf decoder driven by protobufjs reflection, schema-agnostic: onnx-proto.ts uses it with
 * its onnx.proto subset, savedmodel.ts with its TensorFlow subset.
 *
 * Why a streaming decoder rather than `Type.decode(wholeFile)`: one ModelProto may be up to 2 GB, almost all of
 * it tensor payload (`TensorProto.raw_data`, `float_data`, ...). The decoder walks the wire format over the file
 * stream, reads a sub-message into memory only when it is at most `maxInMemory` bytes (default 16 MiB) and descends
 * into larger ones field by field; bytes and packed numeric fields longer than `maxValueBytes` are skipped without
 * being buffered. Memory is therefore bounded by the message's structure (nodes, names, attributes), never its
 * weights, and the structure itself is capped by `maxMessages`. Every decoded message records its byte offset.
 */
import protobuf from 'protobufjs';
import type { Fact } from './facts.js';
import { ChunkReader } from './source.js';

/** Parses a `.proto` subset and resolves its types. */
export function protoRoot(schema: string): protobuf.Root {
  const root = protobuf.parse(schema, { keepCase: true }).root;
  root.resolveAll();
  return root;
}

/** Every decoded message: its type name and the offset of its first byte in the stream. */
export interface Decoded {
  $type: string;
  $offset: number;
  /** Fields whose values were too long to keep (tensor payloads); their bytes were skipped. */
  $skipped?: string[];
}

// ---- the bounded streaming decoder --------------------------------------------------------------------------

export interface DecodeLimits {
  /** Sub-messages up to this many bytes are read into memory and decoded there; larger ones are streamed. */
  maxInMemory: number;
  /** Bytes, strings and packed numeric fields longer than this are skipped (tensor payloads). */
  maxValueBytes: number;
  /** Message nesting (graphs inside attributes inside nodes inside graphs ...). */
  maxDepth: number;
  /** Messages decoded per stream: bounds memory for hostile structures of many tiny nodes. */
  maxMessages: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxInMemory: 16 << 20,
  maxValueBytes: 64 << 10,
  maxDepth: 64,
  maxMessages: 2_000_000,
};

/** The bytes are not a valid encoding of the schema's messages; `offset` is where decoding stopped. */
export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** Set when a decoder limit (not malformed data) stopped the decoding. */
    readonly limit?: { name: string; value: number },
  ) {
    super(message);
  }
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);
const FIXED32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);

/** The wire type a field's values use when not packed. */
function nativeWireType(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return WIRE.bytes;
  if (field.resolvedType instanceof protobuf.Enum || VARINT_TYPES.has(field.type)) return WIRE.varint;
  if (FIXED64_TYPES.has(field.type)) return WIRE.fixed64;
  if (FIXED32_TYPES.has(field.type)) return WIRE.fixed32;
  return WIRE.bytes; // string, bytes
}

function isNumeric(field: protobuf.Field): boolean {
  return nativeWireType(field) !== WIRE.bytes;
}

/** Converts a varint read as a JS number (exact up to 2^53) to the field's type. */
function fromVarint(field: protobuf.Field, value: number): number | boolean {
  switch (field.type) {
    case 'bool':
      return value !== 0;
    case 'sint32':
    case 'sint64':
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    case 'int32':
      return value >= 2 ** 31 ? value - 2 ** 32 : value;
    case 'int64':
      return value >= 2 ** 63 ? value - 2 ** 64 : value;
    default:
      return value;
  }
}

function fromFixed(field: protobuf.Field, bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (field.type) {
    case 'double':
      return view.getFloat64(0, true);
    case 'float':
      return view.getFloat32(0, true);
    case 'sfixed32':
      return view.getInt32(0, true);
    case 'fixed32':
      return view.getUint32(0, true);
    case 'sfixed64':
      return Number(view.getBigInt64(0, true));
    default:
      return Number(view.getBigUint64(0, true));
  }
}

/** Reads one varint from `bytes` at `pos`; undefined when it runs past `end` or is longer than 10 bytes. */
export function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return undefined;
    const byte = bytes[pos + i];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

type Slot = Record<string, unknown> & Decoded;

/** Shared by both decoding paths: turns one field's raw value into its place in the message. */
class Assembler {
  messages = 0;
  constructor(readonly limits: DecodeLimits) {}

  open(type: protobuf.Type, offset: number, depth: number): Slot {
    if (depth > this.limits.maxDepth) {
      throw new ProtoError(`messages nest deeper than ${this.limits.maxDepth} levels`, offset, {
        name: 'protobuf-depth',
        value: depth,
      });
    }
    if (++this.messages > this.limits.maxMessages) {
      throw new ProtoError(`more than ${this.limits.maxMessages} protobuf messages`, offset, {
        name: 'protobuf-messages',
        value: this.messages,
      });
    }
    return { $type: type.name, $offset: offset };
  }

  put(message: Slot, field: protobuf.Field, value: unknown) {
    if (field.repeated) {
      const list = (message[field.name] as unknown[] | undefined) ?? [];
      list.push(value);
      message[field.name] = list;
    } else {
      message[field.name] = value;
    }
  }

  skipped(message: Slot, field: protobuf.Field) {
    message.$skipped ??= [];
    if (!message.$skipped.includes(field.name)) message.$skipped.push(field.name);
  }

  /** A length-delimited value that is not a sub-message: string, bytes or a packed run of numbers. */
  lengthDelimited(message: Slot, field: protobuf.Field, bytes: Uint8Array, offset: number) {
    if (isNumeric(field)) {
      if (!field.repeated) throw new ProtoError(`field ${field.name} is packed but not repeated`, offset);
      const wire = nativeWireType(field);
      let pos = 0;
      while (pos < bytes.length) {
        if (wire === WIRE.varint) {
          const read = readVarint(bytes, pos, bytes.length);
          if (!read) throw new ProtoError(`bad varint in packed field ${field.name}`, offset + pos);
          this.put(message, field, fromVarint(field, read.value));
          pos = read.next;
        } else {
          const width = wire === WIRE.fixed64 ? 8 : 4;
          if (pos + width > bytes.length) throw new ProtoError(`packed field ${field.name} is cut short`, offset + pos);
          this.put(message, field, fromFixed(field, bytes.subarray(pos, pos + width)));
          pos += width;
        }
      }
      return;
    }
    this.put(message, field, field.type === 'string' ? utf8.decode(bytes) : bytes.slice());
  }

  scalar(message: Slot, field: protobuf.Field, wire: number, value: number | Uint8Array, offset: number) {
    const expected = nativeWireType(field);
    if (wire !== expected) throw new ProtoError(`field ${field.name} has wire type ${wire}, not ${expected}`, offset);
    this.put(message, field, typeof value === 'number' ? fromVarint(field, value) : fromFixed(field, value));
  }
}

/** Decodes `bytes[start, end)` as a message of `type` held in memory; `base` is its offset in the stream. */
function decodeInMemory(
  bytes: Uint8Array,
  start: number,
  end: number,
  type: protobuf.Type,
  base: number,
  depth: number,
  assembler: Assembler,
): Slot {
  const message = assembler.open(type, base + start, depth);
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const tag = readVarint(bytes, pos, end);
    if (!tag) throw new ProtoError('truncated field tag', base + pos);
    pos = tag.next;
    const number = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (number === 0) throw new ProtoError('field number 0', base + tagAt);
    const field = type.fieldsById[number] as protobuf.Field | undefined;
    if (wire === WIRE.varint) {
      const read = readVarint(bytes, pos, end);
      if (!read) throw new ProtoError('truncated varint', base + pos);
      if (field) assembler.scalar(message, field, wire, read.value, base + pos);
      pos = read.next;
    } else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
      const width = wire === WIRE.fixed64 ? 8 : 4;
      if (pos + width > end) throw new ProtoError('truncated fixed-width value', base + pos);
      if (field) assembler.scalar(message, field, wire, bytes.subarray(pos, pos + width), base + pos);
      pos += width;
    } else if (wire === WIRE.bytes) {
      const length = readVarint(bytes, pos, end);
      if (!length) throw new ProtoError('truncated length', base + pos);
      pos = length.next;
      if (pos + length.value > end) {
        throw new ProtoError(`a ${length.value}-byte value runs past the end of its message`, base + tagAt);
      }
      const valueEnd = pos + length.value;
      if (field?.resolvedType instanceof protobuf.Type) {
        assembler.put(
          message,
          field,
          decodeInMemory(bytes, pos, valueEnd, field.resolvedType, base, depth + 1, assembler),
        );
      } else if (field && length.value > assembler.limits.maxValueBytes) {
        assembler.skipped(message, field);
      } else if (field) {
        assembler.lengthDelimited(message, field, bytes.subarray(pos, valueEnd), base + pos);
      }
      pos = valueEnd;
    } else {
      throw new ProtoError(`unsupported wire type ${wire}`, base + tagAt);
    }
  }
  return message;
}

/** Sequential reads of varints and exact lengths over a chunk stream. */
class WireReader {
  private readonly chunks: ChunkReader;
  constructor(stream: AsyncIterable<Uint8Array>) {
    this.chunks = new ChunkReader(stream);
  }
  get position(): number {
    return this.chunks.position;
  }
  async varint(): Promise<number | undefined> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.chunks.readSome(1);
      if (byte === undefined) return undefined;
      value += (byte[0] & 0x7f) * scale;
      scale *= 128;
      if ((byte[0] & 0x80) === 0) return value;
    }
    return undefined;
  }
  async exact(length: number): Promise<Uint8Array> {
    const bytes = await this.chunks.readExact(length);
    if (bytes.length < length) throw new ProtoError('the stream ends inside a value', this.position);
    return bytes;
  }
  async skip(length: number) {
    if ((await this.chunks.skip(length)) < length)
      throw new ProtoError('the stream ends inside a value', this.position);
  }
  async atEnd(): Promise<boolean> {
    return this.chunks.atEnd();
  }
  close() {
    return this.chunks.close();
  }
}

async function decodeStreamed(
  reader: WireReader,
  end: number,
  type: protobuf.Type,
  depth: number,
  assembler: Assembler,
): Promise<Slot> {
  const message = assembler.open(type, reader.position, depth);
  while (reader.position < end) {
    if (end === Number.POSITIVE_INFINITY && (await reader.atEnd())) break;
    const tagAt = reader.position;
    const tag = await reader.varint();
    if (tag === undefined) throw new ProtoError('truncated field tag', tagAt);
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) throw new ProtoError('field number 0', tagAt);
    const field = type.fieldsById[number] as protobuf.Field | undefined;
    const valueAt = reader.position;
    if (wire === WIRE.varint) {
      const value = await reader.varint();
      if (value === undefined) throw new ProtoError('truncated varint', valueAt);
      if (field) assembler.scalar(message, field, wire, value, valueAt);
    } else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
      const bytes = await reader.exact(wire === WIRE.fixed64 ? 8 : 4);
      if (field) assembler.scalar(message, field, wire, bytes, valueAt);
    } else if (wire === WIRE.bytes) {
      const length = await reader.varint();
      if (length === undefined) throw new ProtoError('truncated length', valueAt);
      const start = reader.position;
      if (start + length > end) {
        throw new ProtoError(`a ${length}-byte value runs past the end of its message`, tagAt);
      }
      if (field?.resolvedType instanceof protobuf.Type) {
        const child =
          length <= assembler.limits.maxInMemory
            ? decodeInMemory(await reader.exact(length), 0, length, field.resolvedType, start, depth + 1, assembler)
            : await decodeStreamed(reader, start + length, field.resolvedType, depth + 1, assembler);
        if (reader.position !== start + length) throw new ProtoError('a sub-message overran its length', start);
        assembler.put(message, field, child);
      } else if (field && length <= assembler.limits.maxValueBytes) {
        assembler.lengthDelimited(message, field, await reader.exact(length), start);
      } else {
        if (field) assembler.skipped(message, field);
        await reader.skip(length);
      }
    } else {
      throw new ProtoError(`unsupported wire type ${wire}`, tagAt);
    }
  }
  return message;
}

/**
 * Decodes a whole stream as one message of `type`, within `limits`. Throws `ProtoError` (with the offset)
 * on malformed data or when a limit is reached; closes the stream either way.
 */
export async function decodeStream<T extends Decoded>(
  stream: AsyncIterable<Uint8Array>,
  type: protobuf.Type,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<T> {
  const reader = new WireReader(stream);
  try {
    return (await decodeStreamed(reader, Number.POSITIVE_INFINITY, type, 0, new Assembler(limits))) as unknown as T;
  } finally {
    await reader.close();
  }
}

/** What `looksLikeMessage` demands beyond known fields with the right wire types. */
export interface MessageShape {
  /** Fields that must parse (fewer only when the whole stream is shorter). */
  minFields: number;
  /** The first field's number. */
  first?: number;
  /** At least one of these fields must appear within the head (then `minFields` must be met, not the short-stream escape). */
  anyOf?: readonly number[];
}

/**
 * Whether `head` starts like an encoding of `type`: known field numbers with the wire types the schema expects.
 * Values that run past the head are accepted when they fit in `size` (pass undefined to accept truncated files).
 */
export function looksLikeMessage(
  head: Uint8Array,
  type: protobuf.Type,
  size: number | undefined,
  shape: MessageShape,
): boolean {
  let pos = 0;
  let fields = 0;
  let seenAnyOf = shape.anyOf === undefined;
  const total = size ?? Number.POSITIVE_INFINITY;
  while (pos < head.length && (fields < shape.minFields || !seenAnyOf) && fields < 64) {
    const tag = readVarint(head, pos, head.length);
    if (!tag) return false;
    const field = type.fieldsById[Math.floor(tag.value / 8)] as protobuf.Field | undefined;
    const wire = tag.value % 8;
    if (!field || (fields === 0 && shape.first !== undefined && field.id !== shape.first)) return false;
    const packed = wire === WIRE.bytes && field.repeated && isNumeric(field);
    if (wire !== nativeWireType(field) && !packed) return false;
    if (shape.anyOf?.includes(field.id)) seenAnyOf = true;
    pos = tag.next;
    if (wire === WIRE.varint) {
      const value = readVarint(head, pos, head.length);
      if (!value) return false;
      pos = value.next;
    } else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
      pos += wire === WIRE.fixed64 ? 8 : 4;
    } else {
      const length = readVarint(head, pos, head.length);
      if (!length || length.next + length.value > total) return false;
      pos = length.next + length.value;
    }
    fields++;
  }
  if (!seenAnyOf) return false;
  const wholeStream = pos === head.length && head.length === size && fields > 0;
  return fields >= shape.minFields || (shape.anyOf === undefined && wholeStream);
}

/** A decoding failure as a fact: a limit is `limit-reached`, anything else `malformed`. */
export function protoFailure(error: unknown, what: string): Fact {
  if (error instanceof ProtoError) {
    return error.limit
      ? {
          kind: 'limit-reached',
          limit: error.limit.name,
          value: error.limit.value,
          offset: error.offset,
          detail: `${what}: ${error.message}; the rest was not analysed`,
        }
      : { kind: 'malformed', detail: `${what}: ${error.message}`, offset: error.offset };
  }
  return { kind: 'malformed', detail: `${what}: ${error instanceof Error ? error.message : String(error)}` };
}
