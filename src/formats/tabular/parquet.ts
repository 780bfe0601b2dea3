import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { checkHeader } from './csv.js';
import { type Cell, type ReadOptions, type RowBatch, TabularError } from './types.js';

/** Parquet values as plain cells: int64 as number (string beyond 2^53), dates as ISO text, raw bytes as base64. */
function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toCell);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toCell(v)]));
  }
  return value as Cell;
}

/** Streams a Parquet file one row group at a time (memory: one row group), through hyparquet. */
export async function* readParquet(file: string, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  const buffer = await asyncBufferFromFile(file);
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new TabularError(file, 'footer', `not a readable Parquet file: ${(error as Error).message}`);
  }
  const columns = checkHeader(
    file,
    parquetSchema(metadata).children.map((child) => child.element.name),
    'schema',
  );
  let groupStart = 0;
  let emitted = 0;
  for (const [groupIndex, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    const wanted = options.limit === undefined ? groupRows : Math.min(groupRows, options.limit - emitted);
    if (wanted <= 0) break;
    let rows: Cell[][] = [];
    try {
      await parquetRead({
        file: buffer,
        metadata,
        rowStart: groupStart,
        rowEnd: groupStart + wanted,
        rowFormat: 'array',
        onComplete: (data) => {
          rows = (data as unknown[][]).map((row) => row.map(toCell));
        },
      });
    } catch (error) {
      throw new TabularError(file, `row group ${groupIndex}`, `cannot decode: ${(error as Error).message}`);
    }
    yield { columns, rows, firstRow: groupStart + 1 };
    groupStart += groupRows;
    emitted += rows.length;
  }
  if (metadata.row_groups.length === 0) yield { columns, rows: [], firstRow: 1 };
}
