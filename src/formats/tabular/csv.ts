import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { NULL_TOKENS } from './nulls.js';
import {
  type Cell,
  DEFAULT_BATCH_ROWS,
  DEFAULT_MAX_LINE_BYTES,
  type ReadOptions,
  type RowBatch,
  TabularError,
} from './types.js';

/** Header names made usable: blanks become `column_<n>`; duplicates are an error (which column would a test mean?). */
export function checkHeader(file: string, names: readonly string[], where: string): string[] {
  const seen = new Set<string>();
  return names.map((raw, index) => {
    const name = raw.trim() === '' ? `column_${index + 1}` : raw;
    if (seen.has(name)) throw new TabularError(file, where, `duplicate column name "${name}"; rename it and retry`);
    seen.add(name);
    return name;
  });
}

/** Streams a CSV file (RFC 4180 quoting, optional UTF-8 BOM, first record is the header) in batches of rows. */
export async function* readCsv(file: string, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  const delimiter = options.delimiter ?? (/\.tsv$/i.test(file) ? '\t' : ',');
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      delimiter,
      skip_empty_lines: true,
      max_record_size: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      relax_column_count: true,
      info: true,
    }),
  );
  let columns: string[] | undefined;
  let rows: Cell[][] = [];
  let rowNumber = 0;
  let firstRow = 1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!columns) {
        columns = checkHeader(file, record, 'line 1');
        continue;
      }
      rowNumber += 1;
      if (record.length !== columns.length) {
        throw new TabularError(
          file,
          `line ${info.lines}`,
          `row ${rowNumber} has ${record.length} fields but the header has ${columns.length}; fix the row or the delimiter`,
        );
      }
      rows.push(record.map((field) => (NULL_TOKENS.has(field) ? null : field)));
      if (rows.length >= batchRows) {
        yield { columns, rows, firstRow };
        firstRow += rows.length;
        rows = [];
      }
      if (options.limit !== undefined && rowNumber >= options.limit) break;
    }
  } catch (error) {
    if (error instanceof TabularError) throw error;
    const line = (error as { lines?: number }).lines ?? parser.info.lines;
    throw new TabularError(file, `line ${line}`, `not valid CSV: ${(error as Error).message}`);
  } finally {
    parser.destroy();
  }
  if (!columns) throw new TabularError(file, undefined, 'empty file: a CSV needs a header line');
  if (rows.length > 0 || firstRow === 1) yield { columns, rows, firstRow };
}
