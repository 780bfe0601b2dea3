/**
 * Tabular data readers: CSV, JSON Lines and Parquet, streamed.
 *
 * - `readBatches(file, options)`: async batches of rows (`RowBatch`: header so far, rows of cells, first row number).
 * - `readRecords(file, options)`: async rows as `{ column: cell }` objects; missing keys are null.
 * - `readColumns(file, options)`: the whole table as typed columns (`TypedColumn`, types inferred; see columns.ts).
 * - `tabularFormat(file)`: the format from the extension, else from the first bytes.
 * Errors are `TabularError` with the file and the line (CSV/JSONL) or row group (Parquet).
 */
import { open } from 'node:fs/promises';
import { ColumnBuilder, type TypedColumn } from './columns.js';
import { readCsv } from './csv.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { type Cell, type ReadOptions, type RowBatch, TabularError, type TabularFormat } from './types.js';

export * from './columns.js';
export * from './types.js';

/** The format from the extension; for other names, `PAR1` magic means Parquet, a leading `{` JSONL, else CSV. */
export async function tabularFormat(file: string): Promise<TabularFormat> {
  if (/\.(csv|tsv)$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  if (/\.parquet$/i.test(file)) return 'parquet';
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      head = Buffer.alloc(64);
      const { bytesRead } = await handle.read(head, 0, 64, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new TabularError(file, undefined, `cannot open: ${(error as Error).message}`);
  }
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  if (
    head
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('{')
  )
    return 'jsonl';
  return 'csv';
}

export async function* readBatches(file: string, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  const format = options.format ?? (await tabularFormat(file));
  try {
    if (format === 'csv') yield* readCsv(file, options);
    else if (format === 'jsonl') yield* readJsonl(file, options);
    else yield* readParquet(file, options);
  } catch (error) {
    if (error instanceof TabularError) throw error;
    throw new TabularError(file, undefined, (error as Error).message);
  }
}

export async function* readRecords(file: string, options: ReadOptions = {}): AsyncGenerator<Record<string, Cell>> {
  for await (const batch of readBatches(file, options)) {
    for (const row of batch.rows) {
      const record: Record<string, Cell> = {};
      batch.columns.forEach((name, i) => {
        record[name] = row[i] ?? null;
      });
      yield record;
    }
  }
}

export interface ColumnTable {
  file: string;
  format: TabularFormat;
  rows: number;
  columns: TypedColumn[];
}

/** Reads a table into typed columns, optionally only `columns` (by name; unknown names are an error). */
export async function readColumns(
  file: string,
  options: ReadOptions & { columns?: readonly string[] } = {},
): Promise<ColumnTable> {
  const format = options.format ?? (await tabularFormat(file));
  const builders: ColumnBuilder[] = [];
  let rows = 0;
  for await (const batch of readBatches(file, { ...options, format })) {
    for (let i = builders.length; i < batch.columns.length; i++) {
      const builder = new ColumnBuilder(batch.columns[i]);
      builder.addNulls(rows);
      builders.push(builder);
    }
    const wanted = options.columns
      ? builders.flatMap((builder, i) => (options.columns?.includes(builder.name) ? [i] : []))
      : builders.map((_, i) => i);
    for (const row of batch.rows) for (const i of wanted) builders[i].add(row[i]);
    rows += batch.rows.length;
  }
  const missing = options.columns?.filter((name) => !builders.some((builder) => builder.name === name)) ?? [];
  if (missing.length > 0) {
    throw new TabularError(file, undefined, `no column named ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
  const chosen = options.columns ? builders.filter((builder) => options.columns?.includes(builder.name)) : builders;
  return { file, format, rows, columns: chosen.map((builder) => builder.finish()) };
}
