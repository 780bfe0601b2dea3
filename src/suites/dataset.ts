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

export interface LoadedDataset {
  path: string;
  sha256: string;
  rows: number;
  /** Feature columns used for tensor inputs, in model order. */
  featureColumns: string[];
  cases: EvalCase[];
}

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

export async function loadDataset(file: string, mapping: CaseMapping): Promise<LoadedDataset> {
  const cases: EvalCase[] = [];
  let featureColumns: string[] = [];
  let positions: number[] = [];
  let header: readonly string[] = [];
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0)
      throw new TabularError(file, undefined, `no column named "${name}"; the columns are ${header.join(', ')}`);
    return index;
  };
  for await (const batch of readBatches(file, { format: mapping.format, limit: mapping.limit })) {
    if (header.length === 0) {
      header = batch.columns;
      const excluded = new Set([mapping.expected?.column, mapping.id, ...mapping.slices].filter(Boolean));
      featureColumns = mapping.input.columns ?? header.filter((name) => !excluded.has(name));
      positions = mapping.input.kind === 'tensor' ? featureColumns.map(column) : [column(requiredTextColumn(mapping))];
      for (const name of [mapping.expected?.column, mapping.id, ...mapping.slices]) if (name) column(name);
    }
    batch.rows.forEach((row, offset) => {
      const rowNumber = batch.firstRow + offset;
      const input: RunInput =
        mapping.input.kind === 'tensor'
          ? {
              kind: 'tensor',
              values: positions.map((p, k) => numberCell(row[p] ?? null, featureColumns[k], rowNumber, file)),
            }
          : textInput(mapping.input, cellText(row[positions[0]]));
      const expectedCell = mapping.expected ? row[column(mapping.expected.column)] : undefined;
      cases.push({
        id: mapping.id ? cellText(row[column(mapping.id)]) : `row-${rowNumber}`,
        input,
        expected:
          expectedCell === undefined || expectedCell === null
            ? undefined
            : typeof expectedCell === 'number'
              ? expectedCell
              : cellText(expectedCell),
        slices: Object.fromEntries(mapping.slices.map((name) => [name, cellText(row[column(name)])])),
      });
    });
  }
  if (cases.length === 0) throw new TabularError(file, undefined, `${basename(file)} has no data rows`);
  return { path: file, sha256: await hashFile(file), rows: cases.length, featureColumns, cases };
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
