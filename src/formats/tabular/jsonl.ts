import { createReadStream } from 'node:fs';
import {
  type Cell,
  DEFAULT_BATCH_ROWS,
  DEFAULT_MAX_LINE_BYTES,
  type ReadOptions,
  type RowBatch,
  TabularError,
} from './types.js';

/** Yields each line's text with its 1-based number; refuses a line longer than `maxBytes` before buffering it all. */
async function* lines(file: string, maxBytes: number): AsyncGenerator<[string, number]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  const emit = (tail: Buffer): string => {
    const bytes = pending.length ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    pendingBytes = 0;
    lineNumber += 1;
    try {
      return decoder.decode(bytes);
    } catch {
      throw new TabularError(file, `line ${lineNumber}`, 'not valid UTF-8');
    }
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      if (pendingBytes + newline - start > maxBytes) {
        throw new TabularError(file, `line ${lineNumber + 1}`, `line longer than ${maxBytes} bytes`);
      }
      yield [emit(chunk.subarray(start, newline)), lineNumber];
      start = newline + 1;
    }
    pending.push(chunk.subarray(start));
    pendingBytes += chunk.length - start;
    if (pendingBytes > maxBytes) {
      throw new TabularError(file, `line ${lineNumber + 1}`, `line longer than ${maxBytes} bytes`);
    }
  }
  if (pendingBytes > 0) yield [emit(Buffer.alloc(0)), lineNumber];
}

/**
 * Streams JSON Lines: one JSON object per line, blank lines skipped. Keys seen for the first time extend the header,
 * so earlier rows are shorter than later ones (missing = null).
 */
export async function* readJsonl(file: string, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const columns: string[] = [];
  const index = new Map<string, number>();
  let rows: Cell[][] = [];
  let rowNumber = 0;
  let firstRow = 1;
  for await (const [raw, lineNumber] of lines(file, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)) {
    const text = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TabularError(file, `line ${lineNumber}`, `not valid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TabularError(file, `line ${lineNumber}`, 'each line must be a JSON object ({"column": value, ...})');
    }
    const row: Cell[] = [];
    for (const [key, cell] of Object.entries(value as Record<string, Cell>)) {
      let position = index.get(key);
      if (position === undefined) {
        position = columns.length;
        index.set(key, position);
        columns.push(key);
      }
      row[position] = cell;
    }
    for (let i = 0; i < row.length; i++) if (row[i] === undefined) row[i] = null;
    rows.push(row);
    rowNumber += 1;
    if (rows.length >= batchRows) {
      yield { columns: [...columns], rows, firstRow };
      firstRow += rows.length;
      rows = [];
    }
    if (options.limit !== undefined && rowNumber >= options.limit) break;
  }
  if (rows.length > 0 || firstRow === 1) yield { columns: [...columns], rows, firstRow };
}
