/**
 * Turns a table (CSV, JSONL, Parquet through the shared tabular readers) into evaluation cases: the input the runner
 * takes, the expected value and the slice values of each row.
 */
import { basename } from 'node:path';
import { type Cell, readBatches, TabularError } from '../formats/tabular/index.js';
import { hashFile } from '../provenance/signing-digests.js';
import type { RunInput } from '../runners/types.js';
import type { EvalCase } from './evaluate.js';
import type { Suite } from './schema.js';

/** What a pre-pass over the table learns before any case runs. */
export interface DatasetSummary {
  path: string;
  sha256: string;
  rows: number;
  /** Distinct expected values in first-seen order, up to MAX_DISTINCT_EXPECTED (labels for classification). */
  expectedValues: string[];
}

/** Distinct expected values kept by the pre-pass: beyond this the column is not a set of class labels. */
const MAX_DISTINCT_EXPECTED = 10_000;

export type CaseMapping = Pick<Suite, 'input' | 'expected' | 'id' | 'slices'> & {
  format?: Suite['dataset']['format'];
  limit?: number;
};

/** Numbers from cells: numeric strings parse, an empty/NA cell is NaN; anything else is an error with its row. */
function numberCell(cell: Cell, column: string, row: number, file: string): number {
  if (cell === null) return Number.NaN;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const text = String(cell).trim();
  const value = /^[+-]?(inf|infinity)$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  if (text === '' || (Number.isNaN(value) && !/^nan$/i.test(text)))
    throw new TabularError(file, `row ${row}`, `column "${column}" holds "${text.slice(0, 40)}", not a number`);
  return value;
}

const cellText = (cell: Cell | undefined): string =>
  cell === null || cell === undefined ? '' : typeof cell === 'object' ? JSON.stringify(cell) : String(cell);

/**
 * The table's cases in batches, in row order, never holding more than one batch: evaluation streams them so memory
 * does not grow with the dataset. Every cell is checked as it is read (a bad cell names its row).
 */
export async function* datasetCases(file: string, mapping: CaseMapping): AsyncGenerator<EvalCase[]> {
  let header: readonly string[] = [];
  let featureColumns: string[] = [];
  let inputPositions: number[] = [];
  let expectedPosition = -1;
  let idPosition = -1;
  let slicePositions: number[] = [];
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0)
      throw new TabularError(file, undefined, `no column named "${name}"; the columns are ${header.join(', ')}`);
    return index;
  };
  let rows = 0;
  for await (const batch of readBatches(file, { format: mapping.format, limit: mapping.limit })) {
    if (header.length === 0) {
      header = batch.columns;
      const excluded = new Set([mapping.expected?.column, mapping.id, ...mapping.slices].filter(Boolean));
      featureColumns = mapping.input.columns ?? header.filter((name) => !excluded.has(name));
      inputPositions =
        mapping.input.kind === 'tensor' ? featureColumns.map(column) : [column(requiredTextColumn(mapping))];
      expectedPosition = mapping.expected ? column(mapping.expected.column) : -1;
      idPosition = mapping.id ? column(mapping.id) : -1;
      slicePositions = mapping.slices.map(column);
    }
    rows += batch.rows.length;
    yield batch.rows.map((row, offset) => {
      const rowNumber = batch.firstRow + offset;
      const input: RunInput =
        mapping.input.kind === 'tensor'
          ? {
              kind: 'tensor',
              values: inputPositions.map((p, k) => numberCell(row[p] ?? null, featureColumns[k], rowNumber, file)),
            }
          : textInput(mapping.input, cellText(row[inputPositions[0]]));
      const expectedCell = expectedPosition >= 0 ? row[expectedPosition] : undefined;
      return {
        id: idPosition >= 0 ? cellText(row[idPosition]) : `row-${rowNumber}`,
        input,
        expected:
          expectedCell === undefined || expectedCell === null
            ? undefined
            : typeof expectedCell === 'number'
              ? expectedCell
              : cellText(expectedCell),
        slices:
          mapping.slices.length === 0
            ? undefined
            : Object.fromEntries(mapping.slices.map((name, k) => [name, cellText(row[slicePositions[k]])])),
      };
    });
  }
  if (rows === 0) throw new TabularError(file, undefined, `${basename(file)} has no data rows`);
}

/**
 * A pre-pass over the whole table before anything runs: row count (for progress), digest and the expected values (to infer the classes); a malformed row fails here, not after hours of model calls.
 */
export async function summariseDataset(file: string, mapping: CaseMapping): Promise<DatasetSummary> {
  let rows = 0;
  const expected = new Set<string>();
  for await (const batch of datasetCases(file, mapping)) {
    rows += batch.length;
    for (const item of batch)
      if (item.expected !== undefined && expected.size < MAX_DISTINCT_EXPECTED) expected.add(String(item.expected));
  }
  return { path: file, sha256: await hashFile(file), rows, expectedValues: [...expected] };
}

function requiredTextColumn(mapping: CaseMapping): string {
  if (!mapping.input.column)
    throw new TabularError('suite', undefined, `input.column is required for ${mapping.input.kind} inputs`);
  return mapping.input.column;
}

function textInput(spec: Suite['input'], value: string): RunInput {
  const text = spec.template ? spec.template.replaceAll('{{text}}', value) : value;
  if (spec.kind === 'text') return { kind: 'text', text };
  return {
    kind: 'chat',
    messages: [
      ...(spec.system ? [{ role: 'system' as const, content: spec.system }] : []),
      { role: 'user', content: text },
    ],
  };
}
