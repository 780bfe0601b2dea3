/**
 * Shared shapes of the tabular readers (CSV, JSONL, Parquet). Readers stream rows in batches so memory stays bounded
 * by the batch (CSV, JSONL) or by one row group (Parquet); typed columns are built from those batches by `columns.ts`.
 */

/** One cell as read: CSV gives strings (or null for an empty/NA token); JSONL and Parquet give their own types. */
export type Cell = string | number | boolean | null | readonly Cell[] | { readonly [key: string]: Cell };

export type TabularFormat = 'csv' | 'jsonl' | 'parquet';
export const TABULAR_FORMATS: readonly TabularFormat[] = ['csv', 'jsonl', 'parquet'];

/** A batch of rows. `columns` is the header known so far (JSONL can add keys later); rows may be shorter than it. */
export interface RowBatch {
  columns: readonly string[];
  rows: Cell[][];
  /** 1-based number of the first row of this batch among data rows (header excluded). */
  firstRow: number;
}

export interface ReadOptions {
  /** Forces the format; otherwise taken from the extension (.csv/.tsv, .jsonl/.ndjson, .parquet), then the bytes. */
  format?: TabularFormat;
  /** Stop after this many data rows. */
  limit?: number;
  /** Longest CSV record or JSONL line accepted, in bytes (default 16 MiB): longer ones are an error, not a hang. */
  maxLineBytes?: number;
  /** CSV field delimiter (default `,`, or tab for .tsv). */
  delimiter?: string;
  /** Rows per batch (default 4096). */
  batchRows?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 16 << 20;
export const DEFAULT_BATCH_ROWS = 4096;

/** Input that cannot be read as a table. Says which file and where (line for CSV/JSONL, row group for Parquet). */
export class TabularError extends Error {
  constructor(
    readonly file: string,
    readonly where: string | undefined,
    detail: string,
  ) {
    super(`${file}${where ? ` (${where})` : ''}: ${detail}`);
    this.name = 'TabularError';
  }
}
