/**
 * Personal data in data files shipped with a model (CSV, TSV, JSON, JSONL, plain text, Parquet): how many e-mail
 * addresses, phone numbers, card numbers, IBANs, SSNs and IP addresses a bounded sample holds, per column or key,
 * with a few masked examples. Parsing and detection only; the compliance rules decide what a count means.
 *
 * Sampling budget (per file): text files up to 8 MiB are read whole; larger ones as the first 4 MiB plus 16
 * windows of 256 KiB spread evenly over the rest (each window cut to whole lines). Parquet: the first 2,000 rows
 * of the first row group and 500 rows from each of up to 3 more row groups spread over the file, reading at most
 * 64 MiB of column chunks (columns past that are named as skipped). The fact says what was read.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Compressors, FileMetaData } from 'hyparquet';
import { DATA_FILE_EXTENSIONS, NOT_DATA_FILES, type PersonalDataKind } from '../knowledge/privacy-pii.js';
import { detectPersonalData } from '../pii/index.js';
import type { BinaryFormat, BinaryInput, LargeTextInput, TextInput, TextInspector } from './plugins.js';
import { isRandomAccess, type RandomAccessSource } from './source.js';

export type DataLayout = 'csv' | 'tsv' | 'json' | 'jsonl' | 'text' | 'parquet';

export interface PersonalDataExample {
  kind: PersonalDataKind;
  /** Masked: never the value. */
  masked: string;
  confidence: number;
  /** `row on line 12, column "email"` (CSV), `row 12, column "email"` (Parquet), `line 40, key "user.phone"`, `line near byte 104857600`. */
  where: string;
  detail?: string;
}

export interface DataSample {
  /** Whether every byte (or row) of the file was scanned. */
  complete: boolean;
  bytesRead: number;
  totalBytes: number;
  rowsRead?: number;
  totalRows?: number;
  /** What was read, in words: "whole file", "first 4 MiB and 16 windows of 256 KiB of 210 MiB", ... */
  description: string;
}

export type PersonalDataFact = {
  kind: 'personal-data';
  layout: DataLayout;
  /** Matches per kind in the sample (zero kinds are left out: an empty object means none found). */
  counts: Partial<Record<PersonalDataKind, number>>;
  /** Columns or keys holding matches, with counts per kind (at most 50 fields). */
  fields: { name: string; counts: Partial<Record<PersonalDataKind, number>> }[];
  /** At most three masked examples per kind. */
  examples: PersonalDataExample[];
  sample: DataSample;
  /** The structure could not be parsed, so the sample was scanned as plain text (why). */
  readAsText?: string;
};

export const PERSONAL_DATA_BUDGET = {
  /** Files up to this size are scanned whole. */
  wholeBytes: 8 << 20,
  headBytes: 4 << 20,
  windows: 16,
  windowBytes: 256 << 10,
  parquetFirstRows: 2000,
  parquetMoreGroups: 3,
  parquetRowsPerGroup: 500,
  parquetBytes: 64 << 20,
  /** Longest Parquet footer read (metadata), so a forged length cannot make us allocate gigabytes. */
  parquetMetadataBytes: 16 << 20,
} as const;

const EXAMPLES_PER_KIND = 3;
const MAX_FIELDS = 50;

/** The data layout of a shipped file, from its name; undefined for model files, tokenizers and notices. */
export function dataLayout(name: string): DataLayout | undefined {
  const base = name.split(/[\\/]/).pop() ?? name;
  const extension = /\.[^.]+$/.exec(base)?.[0].toLowerCase();
  const layout = extension ? DATA_FILE_EXTENSIONS[extension] : undefined;
  if (!layout || NOT_DATA_FILES.some((entry) => entry.name.test(base))) return undefined;
  return layout;
}

// ---- sampling text -----------------------------------------------------------------------------------------

interface Segment {
  text: string;
  /** Byte offset of the segment in the file. */
  offset: number;
  /** 1-based line number of the segment's first line, when known (the head of the file). */
  firstLine?: number;
}

interface TextSample {
  segments: Segment[];
  sample: DataSample;
}

const MIB = 1 << 20;
const size = (bytes: number) =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(1).replace(/\.0$/, '')} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

/** Reads the budgeted sample through random access: whole when small, else head + evenly spaced windows. */
export async function sampleText(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  totalBytes: number,
): Promise<TextSample> {
  const decoder = new TextDecoder();
  const budget = PERSONAL_DATA_BUDGET;
  if (totalBytes <= budget.wholeBytes) {
    const text = decoder.decode(await read(0, totalBytes));
    return {
      segments: [{ text, offset: 0, firstLine: 1 }],
      sample: { complete: true, bytesRead: totalBytes, totalBytes, description: `whole file (${size(totalBytes)})` },
    };
  }
  const head = decoder.decode(await read(0, budget.headBytes));
  const segments: Segment[] = [{ text: head.slice(0, Math.max(0, head.lastIndexOf('\n'))), offset: 0, firstLine: 1 }];
  const rest = totalBytes - budget.headBytes;
  const stride = rest / budget.windows;
  for (let i = 0; i < budget.windows; i++) {
    const offset = Math.floor(budget.headBytes + i * stride + Math.max(0, stride - budget.windowBytes) / 2);
    const text = decoder.decode(await read(offset, budget.windowBytes));
    const first = text.indexOf('\n');
    const last = text.lastIndexOf('\n');
    if (first < 0 || last <= first) continue;
    segments.push({ text: text.slice(first + 1, last), offset });
  }
  const bytesRead = budget.headBytes + budget.windows * budget.windowBytes;
  return {
    segments,
    sample: {
      complete: false,
      bytesRead,
      totalBytes,
      description:
        `first ${size(budget.headBytes)} and ${budget.windows} windows of ${size(budget.windowBytes)} spread over ` +
        `${size(totalBytes)} (${((100 * bytesRead) / totalBytes).toFixed(1)}% read, whole lines only)`,
    },
  };
}

// ---- collecting values by field, then detecting --------------------------------------------------------------

/** Values grouped by column or key; each field is scanned as one text with its name as context. */
class FieldCollector {
  /** A JSON record had values past the depth or count bound: the sample is not complete. */
  cut = false;
  private readonly fields = new Map<string, { parts: string[]; starts: number[]; wheres: string[]; length: number }>();

  add(field: string, value: string, where: string): void {
    if (value.length === 0) return;
    let entry = this.fields.get(field);
    if (!entry) {
      entry = { parts: [], starts: [], wheres: [], length: 0 };
      this.fields.set(field, entry);
    }
    entry.starts.push(entry.length);
    entry.parts.push(value);
    entry.wheres.push(where);
    entry.length += value.length + 1;
  }

  /** Every leaf value of a parsed JSON record (or Parquet row), under its key path. */
  addJson(value: unknown, where: (field: string) => string): void {
    const budget = { nodes: MAX_JSON_NODES, cut: false };
    walkJson(value, '', (field, text) => this.add(field, text, where(field)), budget);
    if (budget.cut) this.cut = true;
  }

  /** The sample as read, marked incomplete (and saying why) when JSON bounds cut values off. */
  sample(sample: DataSample): DataSample {
    if (!this.cut) return sample;
    return {
      ...sample,
      complete: false,
      description: `${sample.description}; values nested deeper than ${MAX_JSON_DEPTH} levels or past ${MAX_JSON_NODES} per record were not read`,
    };
  }

  scan(): Pick<PersonalDataFact, 'counts' | 'fields' | 'examples'> {
    const counts: Partial<Record<PersonalDataKind, number>> = {};
    const fields: PersonalDataFact['fields'] = [];
    const examples: PersonalDataExample[] = [];
    for (const [name, entry] of this.fields) {
      const scan = detectPersonalData(entry.parts.join('\n'), { context: name, maxMatches: EXAMPLES_PER_KIND * 6 });
      const fieldCounts: Partial<Record<PersonalDataKind, number>> = {};
      for (const [kind, count] of Object.entries(scan.counts) as [PersonalDataKind, number][]) {
        if (count === 0) continue;
        fieldCounts[kind] = count;
        counts[kind] = (counts[kind] ?? 0) + count;
      }
      if (name && Object.keys(fieldCounts).length > 0 && fields.length < MAX_FIELDS)
        fields.push({ name, counts: fieldCounts });
      for (const match of scan.matches) {
        if (examples.filter((example) => example.kind === match.kind).length >= EXAMPLES_PER_KIND) continue;
        const index = lastAtOrBefore(entry.starts, match.offset);
        examples.push({
          kind: match.kind,
          masked: match.masked,
          confidence: match.confidence,
          where: entry.wheres[index] as string,
          ...(match.detail ? { detail: match.detail } : {}),
        });
      }
    }
    return { counts, fields, examples };
  }
}

function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((sorted[middle] as number) <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}

function segmentWhere(segment: Segment, lineIndex: number, label = 'line'): string {
  return segment.firstLine !== undefined
    ? `${label} ${segment.firstLine + lineIndex}`
    : `${label} near byte ${segment.offset}`;
}

/**
 * Leaf values of parsed JSON under dotted key paths (array indices left out: `users[].email` → `users.email`).
 * Bounded: at most `budget.nodes` values and `MAX_JSON_DEPTH` levels (deeper values are not personal-data records).
 */
function walkJson(
  value: unknown,
  path: string,
  visit: (field: string, text: string) => void,
  budget: { nodes: number; cut: boolean },
  depth = 0,
): void {
  if (--budget.nodes < 0 || depth > MAX_JSON_DEPTH) {
    budget.cut = true;
    return;
  }
  if (value === null || value === undefined) return;
  if (typeof value === 'string') visit(path, value);
  else if (typeof value === 'number' || typeof value === 'bigint') visit(path, String(value));
  else if (value instanceof Date || value instanceof Uint8Array) return;
  else if (Array.isArray(value)) for (const item of value) walkJson(item, path, visit, budget, depth + 1);
  else if (typeof value === 'object')
    for (const [key, item] of Object.entries(value))
      walkJson(item, path ? `${path}.${key}` : key, visit, budget, depth + 1);
}

const MAX_JSON_DEPTH = 64;
/** Values parsed from a JSON document or record: at most this many visited per document. */
const MAX_JSON_NODES = 1_000_000;

function collectText(collector: FieldCollector, segments: readonly Segment[]): void {
  for (const segment of segments) {
    segment.text.split('\n').forEach((line, index) => {
      collector.add('', line, segmentWhere(segment, index));
    });
  }
}

function collectJsonLines(collector: FieldCollector, segments: readonly Segment[]): string | undefined {
  let unparsed = 0;
  for (const segment of segments) {
    segment.text.split('\n').forEach((line, index) => {
      if (!line.trim()) return;
      const where = segmentWhere(segment, index);
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        unparsed++;
        collector.add('', line, where);
        return;
      }
      collector.addJson(record, (field) => `${where}, key "${field}"`);
    });
  }
  return unparsed > 0 ? `${unparsed} line(s) are not JSON and were scanned as text` : undefined;
}

async function collectCsv(
  collector: FieldCollector,
  segments: readonly Segment[],
  delimiter: string,
): Promise<string | undefined> {
  const { parse } = await import('csv-parse/sync');
  let header: string[] | undefined;
  let problem: string | undefined;
  for (const segment of segments) {
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(segment.text, {
        delimiter,
        bom: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        info: true,
      }) as unknown as { record: string[]; info: { lines: number } }[];
    } catch (error) {
      collectText(collector, [segment]);
      problem ??= `not valid CSV (${(error as Error).message.split('\n')[0]}): scanned as text`;
      continue;
    }
    for (const { record, info } of records) {
      if (!header && segment.firstLine === 1) {
        header = record.map((name, index) => name.trim() || `column ${index + 1}`);
        continue;
      }
      const where = segmentWhere(segment, info.lines - 1, 'row on line');
      record.forEach((value, index) => {
        const column = header?.[index] ?? `column ${index + 1}`;
        collector.add(column, value, `${where}, column "${column}"`);
      });
    }
  }
  return problem;
}

/** Scans an already-sampled text in the given layout. */
export async function scanTextSample(
  layout: Exclude<DataLayout, 'parquet'>,
  sample: TextSample,
): Promise<PersonalDataFact> {
  const collector = new FieldCollector();
  let readAsText: string | undefined;
  if (layout === 'csv' || layout === 'tsv') {
    readAsText = await collectCsv(collector, sample.segments, layout === 'tsv' ? '\t' : ',');
  } else if (layout === 'jsonl') {
    readAsText = collectJsonLines(collector, sample.segments);
  } else if (layout === 'json' && sample.sample.complete) {
    const text = sample.segments[0]?.text ?? '';
    try {
      collector.addJson(JSON.parse(text), (field) => `key "${field || '(root)'}"`);
    } catch (error) {
      readAsText = `not valid JSON (${(error as Error).message}): scanned as text`;
      collectText(collector, sample.segments);
    }
  } else {
    if (layout === 'json') readAsText = 'too large to parse whole: the sampled windows were scanned as text';
    collectText(collector, sample.segments);
  }
  return {
    kind: 'personal-data',
    layout,
    ...collector.scan(),
    sample: collector.sample(sample.sample),
    ...(readAsText ? { readAsText } : {}),
  };
}

export const personalDataInspector: TextInspector = {
  accepts: ({ name, format, limits }) =>
    limits.personalData && (format === 'text' || format === 'json') && dataLayout(name) !== undefined,
  async inspect({ name, text, facts }: TextInput) {
    const layout = dataLayout(name) as Exclude<DataLayout, 'parquet'>;
    const bytes = Buffer.byteLength(text);
    if (bytes <= PERSONAL_DATA_BUDGET.wholeBytes) {
      const sample = {
        segments: [{ text, offset: 0, firstLine: 1 }],
        sample: { complete: true, bytesRead: bytes, totalBytes: bytes, description: `whole file (${size(bytes)})` },
      };
      facts.push(await scanTextSample(layout, sample));
      return;
    }
    const buffer = Buffer.from(text);
    const read = async (offset: number, length: number) => buffer.subarray(offset, offset + length);
    facts.push(await scanTextSample(layout, await sampleText(read, buffer.length)));
  },
  // Files past the text inspectors' size limit are sampled through random access; streamed members cannot be.
  async inspectLarge({ name, source, facts }: LargeTextInput) {
    if (!isRandomAccess(source)) return;
    const layout = dataLayout(name) as Exclude<DataLayout, 'parquet'>;
    facts.push(
      await scanTextSample(layout, await sampleText((offset, length) => source.read(offset, length), source.size)),
    );
  },
};

// ---- Parquet -----------------------------------------------------------------------------------------------

const PAR1 = [0x50, 0x41, 0x52, 0x31];

/** Decompressors Node has built in; ZSTD and LZ4 pages are reported as not decoded. */
const COMPRESSORS: Compressors = {
  GZIP: (input, outputLength) => new Uint8Array(gunzipSync(input, { maxOutputLength: Math.max(outputLength, 1) })),
  BROTLI: (input, outputLength) =>
    new Uint8Array(brotliDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) })),
};

class ReadBudgetExceeded extends Error {}

/** hyparquet's AsyncBuffer over random access, refusing to read more than `budget` bytes in all. */
function budgetedBuffer(source: RandomAccessSource, budget: { left: number }) {
  return {
    byteLength: source.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? source.size, source.size);
      const length = Math.max(0, stop - start);
      if (length > budget.left)
        throw new ReadBudgetExceeded(`reading ${length} bytes at offset ${start} would exceed the sampling budget`);
      budget.left -= length;
      const bytes = await source.read(start, length);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** Row groups to sample: the first, then up to `more` spread evenly over the rest. */
function chosenGroups(count: number, more: number): number[] {
  const chosen = new Set([0]);
  for (let i = 1; i <= more && count > 1; i++) chosen.add(Math.round((i * (count - 1)) / more));
  return [...chosen].filter((index) => index < count).sort((a, b) => a - b);
}

async function analyseParquet({ source, facts, limits }: BinaryInput): Promise<void> {
  if (!limits.personalData) return;
  if (!isRandomAccess(source)) {
    facts.push({
      kind: 'not-analysed',
      detail: 'a Parquet file inside a compressed stream is not sampled for personal data (it needs random access)',
    });
    return;
  }
  const { parquetMetadataAsync, parquetRead, parquetSchema } = await import('hyparquet');
  const budget = { left: PERSONAL_DATA_BUDGET.parquetMetadataBytes };
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(budgetedBuffer(source, budget));
  } catch (error) {
    facts.push({ kind: 'malformed', detail: `Parquet footer: ${(error as Error).message}` });
    return;
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const collector = new FieldCollector();
  const groupStarts: number[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    groupStarts.push(start);
    start += Number(group.num_rows);
  }
  const totalRows = Number(metadata.num_rows);
  let rowsRead = 0;
  let dataBudget = PERSONAL_DATA_BUDGET.parquetBytes;
  const skipped = new Set<string>();
  const groups = chosenGroups(metadata.row_groups.length, PERSONAL_DATA_BUDGET.parquetMoreGroups);
  for (const [position, groupIndex] of groups.entries()) {
    const group = metadata.row_groups[groupIndex];
    if (!group) continue;
    // Top-level columns whose chunks in this group fit in what is left of the budget, in schema order.
    const cost = new Map<string, number>();
    for (const chunk of group.columns) {
      const top = chunk.meta_data?.path_in_schema[0];
      if (top !== undefined) cost.set(top, (cost.get(top) ?? 0) + Number(chunk.meta_data?.total_compressed_size ?? 0));
    }
    const wanted: string[] = [];
    for (const column of columns) {
      const bytes = cost.get(column) ?? 0;
      if (bytes > dataBudget) {
        skipped.add(column);
        continue;
      }
      dataBudget -= bytes;
      wanted.push(column);
    }
    if (wanted.length === 0) continue;
    const first = groupStarts[groupIndex] as number;
    const limit = position === 0 ? PERSONAL_DATA_BUDGET.parquetFirstRows : PERSONAL_DATA_BUDGET.parquetRowsPerGroup;
    const rowEnd = first + Math.min(Number(group.num_rows), limit);
    const readBudget = { left: PERSONAL_DATA_BUDGET.parquetBytes };
    try {
      await parquetRead({
        file: budgetedBuffer(source, readBudget),
        metadata,
        columns: wanted,
        rowStart: first,
        rowEnd,
        rowFormat: 'object',
        compressors: COMPRESSORS,
        onComplete: (rows: Record<string, unknown>[]) => {
          rows.forEach((row, index) => {
            collector.addJson(row, (field) => `row ${first + index + 1}, column "${field}"`);
          });
          rowsRead += rows.length;
        },
      });
    } catch (error) {
      facts.push({
        kind: 'not-analysed',
        detail: `Parquet row group ${groupIndex} could not be decoded for the personal-data scan: ${(error as Error).message}`,
      });
    }
  }
  const complete = rowsRead >= totalRows && skipped.size === 0;
  const parts = [
    `${rowsRead} of ${totalRows} rows from ${groups.length} of ${metadata.row_groups.length} row group(s)`,
  ];
  if (skipped.size > 0)
    parts.push(
      `columns not read (over the ${size(PERSONAL_DATA_BUDGET.parquetBytes)} budget): ${[...skipped].join(', ')}`,
    );
  facts.push({
    kind: 'personal-data',
    layout: 'parquet',
    ...collector.scan(),
    sample: collector.sample({
      complete,
      bytesRead: PERSONAL_DATA_BUDGET.parquetBytes - dataBudget,
      totalBytes: source.size,
      rowsRead,
      totalRows,
      description: complete ? `whole file (${totalRows} rows)` : parts.join('; '),
    }),
  });
}

export const parquetFormat: BinaryFormat = {
  format: 'parquet',
  sniff: (head) => head.length >= 4 && PAR1.every((byte, index) => head[index] === byte),
  analyse: analyseParquet,
};
