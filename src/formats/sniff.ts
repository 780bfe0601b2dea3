import { sniffCompression } from './compression.js';
import type { FormatName } from './facts.js';
import { isNpy } from './numpy.js';
import { isOpcode, OP } from './pickle/opcodes.js';
import { PickleWalker } from './pickle/walker.js';
import { isSevenZip } from './sevenzip.js';
import { looksLikeTar } from './tar.js';

/** How many leading bytes sniffing looks at. */
export const SNIFF_BYTES = 4096;

const TORCH_LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** Magic numbers checked in order; the first match names the format. */
const MAGIC: readonly [FormatName, number[], number?][] = [
  ['pytorch-legacy', TORCH_LEGACY_MAGIC],
  ['zip', ascii('PK\x03\x04')],
  ['zip', ascii('PK\x05\x06')],
  ['gguf', ascii('GGUF')],
  ['hdf5', [0x89, ...ascii('HDF\r\n\x1a\n')]],
  ['image', [0x89, ...ascii('PNG\r\n\x1a\n')]],
  ['image', [0xff, 0xd8, 0xff]],
  ['image', ascii('GIF8')],
];

/** Names a format from the first bytes of content (never from a file name). */
export function sniffFormat(head: Uint8Array, size?: number): FormatName {
  if (head.length === 0) return 'empty';
  for (const [format, magic] of MAGIC) if (startsWith(head, magic)) return format;
  if (isSevenZip(head)) return '7z';
  if (isNpy(head)) return 'numpy';
  if (head[0] === OP.PROTO && head.length > 1 && head[1] >= 2 && head[1] <= 5) return 'pickle';
  const compression = sniffCompression(head);
  if (compression) return compression;
  if (isSafetensors(head, size)) return 'safetensors';
  if (head.length >= 512 && looksLikeTar(head.subarray(0, 512))) return 'tar';
  if (looksLikeProtocol0Pickle(head)) return 'pickle';
  const firstNonSpace = head.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (isMostlyText(head)) return firstNonSpace === 0x7b || firstNonSpace === 0x5b ? 'json' : 'text';
  return 'unknown';
}

function isSafetensors(head: Uint8Array, size?: number): boolean {
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const length = view.getBigUint64(0, true);
  return length > 1n && (size === undefined || length <= BigInt(size - 8));
}

/** A dotted Python name; `chat_template:` (YAML) is text that merely starts with the GLOBAL opcode `c`. */
const IMPORTABLE = /^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/**
 * Protocol 0 and 1 pickles have no magic number. A head is taken for one when its first opcodes parse:
 * a GLOBAL or INST naming an importable dotted name, or at least three opcodes (or a STOP) before any error.
 */
export function looksLikeProtocol0Pickle(head: Uint8Array): boolean {
  if (!isOpcode(head[0])) return false;
  let opcodes = 0;
  let globals = 0;
  let broken = false;
  let stopped = false;
  let limited = false;
  const walker = new PickleWalker(
    {
      fact(fact) {
        if (fact.kind === 'pickle-malformed') broken = true;
        if (fact.kind === 'limit-reached') limited = true;
        if (fact.kind === 'pickle-global' && IMPORTABLE.test(fact.module) && IMPORTABLE.test(fact.name)) globals++;
        else if (fact.kind === 'pickle-global') broken = true;
        if (fact.kind === 'pickle-stats') {
          opcodes = Math.max(opcodes, fact.opcodes);
          if (!broken) stopped = true;
        }
      },
    },
    {
      maxOpcodes: 256,
      maxStack: 256,
      maxMemo: 256,
      maxLine: 4096,
      maxInline: 4096,
      maxStreams: 1,
      searchAfterJunk: false,
    },
  );
  walker.push(head);
  if (globals > 0 || stopped || (limited && !broken)) return true;
  const brokenInHead = broken;
  walker.end(); // reports the opcode count; its "truncated" verdict only means the head ended
  return !brokenInHead && opcodes >= 3;
}

function isMostlyText(head: Uint8Array): boolean {
  const sample = head.subarray(0, 1024);
  let printable = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if (byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable++;
  }
  return printable / sample.length > 0.95;
}

/** Extensions whose owners expect particular formats; content that disagrees is worth a finding. */
export const EXTENSION_FORMATS: Readonly<Record<string, readonly FormatName[]>> = {
  '.pkl': ['pickle', 'pytorch-legacy', 'gzip', 'zlib', 'bzip2', 'xz', 'lz4'],
  '.pickle': ['pickle', 'pytorch-legacy', 'gzip', 'zlib', 'bzip2', 'xz', 'lz4'],
  '.joblib': ['pickle', 'gzip', 'zlib', 'bzip2', 'xz', 'lz4'],
  '.pt': ['pytorch-zip', 'pytorch-legacy', 'torchscript', 'pickle', 'zip'],
  '.pth': ['pytorch-zip', 'pytorch-legacy', 'torchscript', 'pickle', 'zip'],
  '.ckpt': ['pytorch-zip', 'pytorch-legacy', 'pickle', 'zip'],
  '.bin': ['pytorch-zip', 'pytorch-legacy', 'pickle', 'zip', 'safetensors', 'unknown', 'empty'],
  '.npy': ['numpy'],
  '.npz': ['npz', 'zip'],
  '.zip': ['zip', 'pytorch-zip', 'torchscript', 'npz', 'keras', 'skops'],
  '.skops': ['skops', 'zip'],
  '.keras': ['keras', 'zip'],
  '.tar': ['tar'],
  '.gz': ['gzip'],
  '.tgz': ['gzip'],
  '.bz2': ['bzip2'],
  '.xz': ['xz'],
  '.lz4': ['lz4'],
  '.7z': ['7z'],
  '.safetensors': ['safetensors'],
  '.onnx': ['onnx'],
  '.pb': ['savedmodel', 'unknown'],
  '.gguf': ['gguf'],
  '.h5': ['hdf5'],
  '.hdf5': ['hdf5'],
  '.json': ['json', 'text', 'empty'],
  '.txt': ['text', 'json', 'empty'],
  '.md': ['text', 'empty'],
  '.png': ['image'],
  '.jpg': ['image'],
  '.jpeg': ['image'],
};
