import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { matchPayloadIndicators } from '../knowledge/payload-indicators.js';
import { type Compression, decompress } from './compression.js';
import type { Artifact, EmbeddingKind, Fact, FormatName, Origin } from './facts.js';
import { parseNpyHeader } from './numpy.js';
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, PickleWalker } from './pickle/walker.js';
import { BINARY_FORMATS, TEXT_INSPECTORS } from './registry.js';
import { redactSecrets } from './secrets.js';
import { readSevenZip } from './sevenzip.js';
import { SNIFF_BYTES, sniffFormat } from './sniff.js';
import {
  type ByteSource,
  bufferSource,
  type FileSource,
  fileSource,
  isFileSource,
  isRandomAccess,
  type RandomAccessSource,
  streamSource,
} from './source.js';
import { readTar } from './tar.js';
import { listZip, openZipEntry, type ZipEntry } from './zip.js';

/** Hard limits for one file; each one reached is reported as a fact, never silently. */
export interface AnalysisLimits {
  /** Containers inside containers (archive in archive, pickle in bytes in pickle). */
  maxDepth: number;
  /** Members per archive. */
  maxEntries: number;
  /** Decompressed / compressed size above which, past `bombMinBytes`, decompression stops. */
  maxCompressionRatio: number;
  bombMinBytes: number;
  /** Embedded pickles analysed per stream. */
  maxEmbedded: number;
  /** Bytes copied to a temporary file when an archive inside a stream needs random access. */
  maxSpoolBytes: number;
  /** Text files larger than this are not read by the text inspectors (configs, code, secrets). */
  maxTextBytes: number;
  pickle: PickleLimits;
  /** Read tensor data for weight sanity checks, not just headers (`--deep`). */
  deep: boolean;
  /** Scan shipped data files (CSV, JSON, Parquet, ...) for personal data; `assay scan` leaves it to `assay audit`. */
  personalData: boolean;
}

export const DEFAULT_LIMITS: AnalysisLimits = {
  maxDepth: 6,
  maxEntries: 200_000,
  maxCompressionRatio: 1_000,
  bombMinBytes: 1 << 30,
  maxEmbedded: 64,
  maxSpoolBytes: 16 * 2 ** 30,
  maxTextBytes: 64 << 20,
  pickle: DEFAULT_PICKLE_LIMITS,
  deep: false,
  personalData: true,
};

const PICKLE_NAMES = /\.(pkl|pickle|joblib|pt|pth|bin|ckpt|data)$/i;
/** Names of files that loaders hand to torch.load / pickle.load / joblib.load. */
const LOADED_AS_PICKLE = /\.(pkl|pickle|joblib|pt|pth|bin|ckpt|dat|data)$/i;
/** Formats those loaders read by their own structure rather than as one pickle stream. */
const READ_BY_TORCH_AS_ITSELF: ReadonlySet<FormatName> = new Set<FormatName>([
  'pickle',
  'pytorch-legacy',
  'pytorch-zip',
  'torchscript',
  'zip',
  'npz',
  'skops',
  'keras',
  'empty',
]);

interface Where {
  member?: string;
  depth: number;
  origin: Origin;
  /** The member name, for name-based hints inside archives (a `.pkl` member is tried as a pickle). */
  name?: string;
  /** Format of the archive the member came from. */
  container?: FormatName;
}

/** Analyses one file; every artifact found (the file and whatever it contains) is passed to `emit`. */
export class Analyser {
  constructor(
    private readonly file: string,
    private readonly emit: (artifact: Artifact) => void,
    private readonly limits: AnalysisLimits = DEFAULT_LIMITS,
    /** Absolute folder of the target, for formats that reference sibling files. */
    private readonly root?: string,
  ) {}

  /** Returns the format of the top-level bytes. */
  async analyse(source: ByteSource): Promise<FormatName> {
    return this.source(source, { depth: 0, origin: { via: 'file' } });
  }

  private async source(source: ByteSource, where: Where): Promise<FormatName> {
    const { head, stream } = await peek(source);
    let format = sniffFormat(head, source.size);
    const name = where.name ?? this.file;
    if (format === 'unknown') {
      format = BINARY_FORMATS.find((plugin) => plugin.sniff?.(head, name, source.size))?.format ?? format;
    }
    if (format === 'unknown' && where.name && PICKLE_NAMES.test(where.name) && head.length > 0) format = 'pickle';
    const artifact: Artifact = {
      file: this.file,
      member: where.member,
      format,
      origin: where.origin,
      depth: where.depth,
      facts: [],
    };
    this.emit(artifact);
    const facts = artifact.facts;
    if (where.depth > this.limits.maxDepth && format !== 'text' && format !== 'json' && format !== 'unknown') {
      facts.push({
        kind: 'limit-reached',
        limit: 'depth',
        value: where.depth,
        detail: `nested ${where.depth} levels deep; the limit is ${this.limits.maxDepth}`,
      });
      await abandon(stream);
      return format;
    }
    try {
      switch (format) {
        case 'pickle':
        case 'pytorch-legacy':
          await this.pickle(stream, artifact, where, format === 'pytorch-legacy' ? 5 : Number.POSITIVE_INFINITY);
          break;
        case 'numpy':
          await this.numpy(stream, artifact, where);
          break;
        case 'gzip':
        case 'zlib':
        case 'bzip2':
        case 'xz':
        case 'lz4':
          await this.decompressed(format, stream, artifact, where);
          break;
        case 'tar':
          await this.tar(stream, artifact, where);
          break;
        case 'zip':
          artifact.format = await this.zip(await this.randomAccess(source, stream, false), artifact, where);
          break;
        case '7z':
          await this.sevenZip(await this.randomAccess(source, stream, true), artifact, where);
          break;
        default:
          await this.leaf(format, head, source, stream, artifact, where);
      }
    } catch (error) {
      facts.push({ kind: 'malformed', detail: describeError(error) });
      await abandon(stream).catch(() => undefined);
    }
    if (!READ_BY_TORCH_AS_ITSELF.has(artifact.format) && source.read) {
      await this.asPickle(source, where, LOADED_AS_PICKLE.test(name));
    }
    return artifact.format;
  }

  /**
   * torch.load and pickle.load unpickle whatever bytes they are given (torch.load only treats zips differently),
   * and protocol 0 pickles have no magic number: a GIF or a text file can also be a pickle. So every other file is
   * also read as a pickle. The reading is kept when it calls an import, or imports anything at all in a file named
   * the way such loaders' inputs are named (`.bin`, `.pt`, `.pkl`, ...).
   */
  private async asPickle(source: ByteSource, where: Where, loaderName: boolean) {
    const member = `${where.member ? `${where.member}!/` : ''}[as pickle]`;
    const facts: Fact[] = [];
    const walker = new PickleWalker(
      { fact: (fact) => facts.push(fact) },
      { ...this.limits.pickle, maxStreams: 1, searchAfterJunk: false },
    );
    for await (const chunk of source.stream()) {
      walker.push(chunk);
      if (walker.finished) break;
    }
    walker.end();
    const imports = facts.filter((fact) => fact.kind === 'pickle-global' || fact.kind === 'pickle-unresolved-global');
    const keep = loaderName ? imports.length > 0 : imports.some((fact) => fact.kind === 'pickle-global' && fact.called);
    if (!keep) return;
    this.emit({
      file: this.file,
      member,
      format: 'pickle',
      origin: { via: 'as-pickle' },
      depth: where.depth + 1,
      facts,
    });
  }

  // ---- formats without containers inside -----------------------------------------------------------------

  private async leaf(
    format: FormatName,
    head: Uint8Array,
    source: ByteSource,
    stream: AsyncIterable<Uint8Array>,
    artifact: Artifact,
    where: Where,
  ) {
    const placement = {
      file: this.file,
      root: this.root,
      name: where.name ?? this.file,
      container: where.container,
      limits: this.limits,
    };
    try {
      const binary = BINARY_FORMATS.find((plugin) => plugin.format === format);
      if (binary) {
        await binary.analyse({ ...placement, head, source, stream, facts: artifact.facts });
        return;
      }
      const inspectors = TEXT_INSPECTORS.filter((inspector) => inspector.accepts({ ...placement, format }));
      if (inspectors.length === 0 || (format !== 'text' && format !== 'json')) return;
      const text = await readText(stream, this.limits.maxTextBytes);
      if (text === undefined) {
        artifact.facts.push({
          kind: 'text-not-inspected',
          detail: `larger than ${this.limits.maxTextBytes} bytes: configs, code, templates and secrets in it were not inspected`,
        });
        for (const inspector of inspectors)
          await inspector.inspectLarge?.({ ...placement, format, source, facts: artifact.facts });
        return;
      }
      for (const inspector of inspectors)
        await inspector.inspect({ ...placement, format, text, facts: artifact.facts });
    } finally {
      await abandon(stream);
    }
  }

  // ---- pickles ------------------------------------------------------------------------------------------

  private async pickle(stream: AsyncIterable<Uint8Array>, artifact: Artifact, where: Where, maxStreams: number) {
    const embedded: { bytes: Uint8Array; offset: number; encoding: EmbeddingKind }[] = [];
    const facts = artifact.facts;
    const walker = new PickleWalker(
      {
        fact: (fact) => facts.push(fact),
        string: (text, offset) => {
          for (const indicator of matchPayloadIndicators(text)) {
            facts.push({
              kind: 'payload-string',
              offset,
              indicator: indicator.id,
              reason: indicator.reason,
              excerpt: redactSecrets(text.length > 200 ? `${text.slice(0, 200)}…` : text),
            });
          }
        },
        embedded: (bytes, offset, encoding) => {
          if (embedded.length < this.limits.maxEmbedded) embedded.push({ bytes, offset, encoding });
        },
      },
      { ...this.limits.pickle, maxStreams },
    );
    for await (const chunk of stream) walker.push(chunk);
    walker.end();
    for (const { bytes, offset, encoding } of embedded)
      await this.embeddedPickle(bytes, offset, encoding, artifact, where);
  }

  /**
   * A pickle inside a literal: analysed as its own artifact, kept only when it is really a pickle (or, for bytes
   * handed to a deserializer, anything recognisable such as a torch archive).
   */
  private async embeddedPickle(
    bytes: Uint8Array,
    offset: number,
    encoding: EmbeddingKind,
    parent: Artifact,
    where: Where,
  ) {
    const member = `${where.member ? `${where.member}!/` : ''}@${offset}:${encoding}`;
    const found: Artifact[] = [];
    const nested = new Analyser(this.file, (artifact) => found.push(artifact), this.limits);
    await nested.source(bufferSource(bytes, member), {
      member,
      depth: where.depth + 1,
      origin: { via: 'embedded', encoding, offset },
    });
    await nested.close();
    const inner = found[0];
    const isPickle =
      inner?.format === 'pickle' &&
      inner.facts.some(
        (fact) =>
          fact.kind === 'pickle-global' || fact.kind === 'pickle-unresolved-global' || fact.kind === 'pickle-stats',
      ) &&
      !inner.facts.some((fact) => fact.kind === 'pickle-malformed' && fact.stream === 0);
    const isLoaded =
      encoding === 'loader-argument' && !['unknown', 'text', 'json', 'empty'].includes(inner?.format ?? 'unknown');
    if (!isPickle && !isLoaded) return;
    const imports = found.reduce(
      (count, artifact) =>
        count +
        artifact.facts.filter((fact) => fact.kind === 'pickle-global' || fact.kind === 'pickle-unresolved-global')
          .length,
      0,
    );
    parent.facts.push({ kind: 'embedded-pickle', offset, encoding, member, imports });
    for (const artifact of found) this.emit(artifact);
  }

  // ---- NumPy --------------------------------------------------------------------------------------------

  private async numpy(stream: AsyncIterable<Uint8Array>, artifact: Artifact, where: Where) {
    const { head, rest } = await takeHead(stream, 1 << 20);
    const header = parseNpyHeader(head);
    if ('error' in header) {
      artifact.facts.push({ kind: 'malformed', detail: header.error, offset: header.offset });
      await abandon(rest);
      return;
    }
    if (!header.hasObjects) {
      await abandon(rest);
      return;
    }
    artifact.facts.push({ kind: 'numpy-object-array', descr: header.descr, shape: header.shape });
    const payload = prepend(head.subarray(header.dataOffset), rest);
    const member = `${where.member ? `${where.member}!/` : ''}@${header.dataOffset}:object-array`;
    const child: Artifact = {
      file: this.file,
      member,
      format: 'pickle',
      origin: { via: 'numpy-payload' },
      depth: where.depth + 1,
      facts: [],
    };
    this.emit(child);
    await this.pickle(payload, child, { ...where, member, depth: where.depth + 1 }, Number.POSITIVE_INFINITY);
  }

  // ---- compression wrappers (joblib, .gz, ...) ----------------------------------------------------------

  private async decompressed(kind: FormatName, stream: AsyncIterable<Uint8Array>, artifact: Artifact, where: Where) {
    let compressed = 0;
    let expanded = 0;
    const limits = this.limits;
    const counted = (async function* () {
      for await (const chunk of stream) {
        compressed += chunk.length;
        yield chunk;
      }
    })();
    const bomb = { stopped: false };
    const output = (async function* () {
      for await (const chunk of decompress(kind as Compression, counted)) {
        expanded += chunk.length;
        if (expanded > limits.bombMinBytes && expanded > limits.maxCompressionRatio * Math.max(compressed, 1)) {
          bomb.stopped = true;
          return;
        }
        yield chunk;
      }
    })();
    const member = `${where.member ? `${where.member}!/` : ''}[${kind}]`;
    await this.source(streamSource(output, member), {
      member,
      depth: where.depth + 1,
      origin: { via: 'compression', container: kind },
      name: where.name?.replace(/\.(gz|bz2|xz|lz4|z)$/i, ''),
    });
    if (bomb.stopped) {
      artifact.facts.push({
        kind: 'archive-bomb',
        name: member,
        compressed,
        uncompressed: expanded,
        ratio: Math.round(expanded / Math.max(compressed, 1)),
      });
    }
  }

  // ---- archives -----------------------------------------------------------------------------------------

  private async tar(stream: AsyncIterable<Uint8Array>, artifact: Artifact, where: Where) {
    for await (const entry of readTar(stream, { maxEntries: this.limits.maxEntries })) {
      this.entryFacts(artifact.facts, entry.name);
      if (entry.type === 'symlink' || entry.type === 'hardlink') {
        artifact.facts.push({
          kind: 'archive-link',
          name: entry.name,
          target: entry.linkName ?? '',
          linkType: entry.type,
        });
        continue;
      }
      if (entry.type !== 'file') continue;
      await this.member(streamSource(entry.body, entry.name, entry.size), entry.name, 'tar', where);
    }
  }

  private async zip(source: RandomAccessSource, artifact: Artifact, where: Where): Promise<FormatName> {
    const listing = await listZip(source, { maxEntries: this.limits.maxEntries });
    const facts = artifact.facts;
    for (const damage of listing.damage) facts.push({ kind: 'archive-damaged', ...damage });
    if (listing.truncated) {
      facts.push({
        kind: 'limit-reached',
        limit: 'entries',
        value: listing.entries.length,
        detail: `the archive lists more than ${this.limits.maxEntries} members; the rest were not analysed`,
      });
    }
    const kind = zipKind(listing.entries);
    for (const entry of listing.entries) {
      this.entryFacts(facts, entry.name);
      if (entry.isSymlink) {
        const target = new TextDecoder().decode(
          await source.read(entry.dataOffset, Math.min(entry.compressedSize, 4096)),
        );
        facts.push({ kind: 'archive-link', name: entry.name, target, linkType: 'symlink' });
        continue;
      }
      if (entry.isDirectory) continue;
      if (kind === 'pytorch-zip' && isTensorStorage(entry.name)) continue;
      if (entry.encrypted && entry.method !== 0) {
        facts.push({ kind: 'archive-encrypted', name: entry.name });
        continue;
      }
      if (kind === 'torchscript' && /(^|\/)code\//.test(entry.name) && entry.name.endsWith('.py')) {
        facts.push({ kind: 'torchscript-code', name: entry.name, size: entry.uncompressedSize });
      }
      if (entry.method !== 0 && entry.method !== 8) {
        facts.push({
          kind: 'archive-member-skipped',
          name: entry.name,
          detail: `compression method ${entry.method} is not supported`,
        });
        continue;
      }
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (entry.uncompressedSize > this.limits.bombMinBytes && ratio > this.limits.maxCompressionRatio) {
        facts.push({
          kind: 'archive-bomb',
          name: entry.name,
          compressed: entry.compressedSize,
          uncompressed: entry.uncompressedSize,
          ratio: Math.round(ratio),
        });
        continue;
      }
      await this.member(openZipEntry(source, entry), entry.name, kind, where);
    }
    return kind;
  }

  private async sevenZip(onDisk: FileSource, artifact: Artifact, where: Where) {
    const path = onDisk.path;
    const limits = { maxEntries: this.limits.maxEntries, maxMemberBytes: this.limits.maxSpoolBytes };
    for await (const entry of readSevenZip(path, limits)) {
      this.entryFacts(artifact.facts, entry.name);
      if (entry.isSymlink) {
        artifact.facts.push({ kind: 'archive-link', name: entry.name, target: '', linkType: 'symlink' });
        continue;
      }
      if (entry.isDirectory) continue;
      await this.member(streamSource(entry.body, entry.name, entry.size), entry.name, '7z', where);
    }
  }

  private async member(source: ByteSource, name: string, container: FormatName, where: Where) {
    const member = `${where.member ? `${where.member}!/` : ''}${name}`;
    await this.source(source, {
      member,
      depth: where.depth + 1,
      origin: { via: 'archive', container },
      name,
      container,
    });
  }

  /** Path facts: the parser states what a name does, the rules judge it. */
  private entryFacts(facts: Fact[], name: string) {
    const reason = unsafePathReason(name);
    if (reason) facts.push({ kind: 'archive-unsafe-path', name, reason });
  }

  /** Random access (or a real file) for archives found inside streams: copied to a temporary file, bounded. */
  private async randomAccess(
    source: ByteSource,
    stream: AsyncIterable<Uint8Array>,
    needFile: true,
  ): Promise<FileSource>;
  private async randomAccess(
    source: ByteSource,
    stream: AsyncIterable<Uint8Array>,
    needFile: false,
  ): Promise<RandomAccessSource>;
  private async randomAccess(
    source: ByteSource,
    stream: AsyncIterable<Uint8Array>,
    needFile: boolean,
  ): Promise<RandomAccessSource> {
    if (needFile ? isFileSource(source) : isRandomAccess(source)) {
      await abandon(stream);
      return source as RandomAccessSource;
    }
    const folder = await mkdtemp(join(tmpdir(), 'assay-'));
    const path = join(folder, 'member');
    const out = createWriteStream(path);
    let written = 0;
    try {
      for await (const chunk of stream) {
        written += chunk.length;
        if (written > this.limits.maxSpoolBytes) {
          throw new Error(`a nested archive is larger than ${this.limits.maxSpoolBytes} bytes and was not analysed`);
        }
        if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
      }
    } finally {
      out.end();
      await finished(out);
    }
    const spooled = fileSource(path, written, source.label);
    this.cleanups.push(async () => {
      await spooled.close();
      await rm(folder, { recursive: true, force: true });
    });
    return spooled;
  }

  private readonly cleanups: (() => Promise<void>)[] = [];

  /** Removes temporary files; call once the analysis is over. */
  async close(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
  }
}

function zipKind(entries: readonly ZipEntry[]): FormatName {
  const names = entries.map((entry) => entry.name);
  if (
    names.some((name) => /(^|\/)code\/.*\.py$/.test(name)) &&
    names.some((name) => /(^|\/)constants\.pkl$/.test(name))
  ) {
    return 'torchscript';
  }
  if (names.some((name) => /(^|\/)data\.pkl$/.test(name))) return 'pytorch-zip';
  if (names.length > 0 && names.every((name) => name.endsWith('.npy') || name.endsWith('/'))) return 'npz';
  if (names.includes('schema.json')) return 'skops';
  if (names.includes('config.json') && names.some((name) => name.endsWith('.weights.h5') || name === 'metadata.json')) {
    return 'keras';
  }
  return 'zip';
}

/** torch.save's raw storage members (`<prefix>/data/<key>`): tensor bytes that torch never unpickles. */
function isTensorStorage(name: string): boolean {
  return /(^|\/)data\/\d+$/.test(name);
}

export function unsafePathReason(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.startsWith('/') || name.startsWith('\\')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive-letter path';
  if (name.split(/[\\/]/).includes('..')) return 'climbs out of the extraction folder with ..';
  return undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The whole stream as UTF-8 text, or undefined when it is larger than `max` bytes. */
async function readText(stream: AsyncIterable<Uint8Array>, max: number): Promise<string | undefined> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > max) return undefined;
    parts.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(parts));
}

/** Reads the first bytes for sniffing and returns a stream that still yields them. */
async function peek(source: ByteSource): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const { head, rest } = await takeHead(source.stream(), SNIFF_BYTES);
  return { head: head.subarray(0, SNIFF_BYTES), stream: prepend(head, rest) };
}

/** Collects at least `want` bytes (or all there is) from a stream, and the iterator for the rest. */
async function takeHead(
  chunks: AsyncIterable<Uint8Array>,
  want: number,
): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < want) {
    const next = await iterator.next();
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  const head = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
  return { head, rest };
}

/** `first`, then the rest; closing it closes the underlying stream (and its file handle). */
function prepend(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const inner = rest[Symbol.asyncIterator]();
  let pending = first.length > 0;
  const iterator: AsyncIterator<Uint8Array> = {
    next: async () => {
      if (!pending) return inner.next();
      pending = false;
      return { value: first, done: false };
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** Stops reading a stream that is not needed (random-access formats read through their source instead). */
async function abandon(stream: AsyncIterable<Uint8Array>): Promise<void> {
  await stream[Symbol.asyncIterator]().return?.();
}
