import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import {
  readBatches,
  readColumns,
  readRecords,
  TabularError,
  tabularFormat,
} from '../../../src/formats/tabular/index.js';
import { tempFolder } from '../../helpers.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('CSV', () => {
  it('reads a header, quoted fields with commas and newlines, a BOM and NA tokens', async () => {
    const folder = await tempFolder({
      'a.csv': '\uFEFFid,name,score\n1,"Smith, J.",0.5\n2,"line\nbreak",NA\n3,plain,\n',
    });
    const records = await collect(readRecords(join(folder, 'a.csv')));
    expect(records).toEqual([
      { id: '1', name: 'Smith, J.', score: '0.5' },
      { id: '2', name: 'line\nbreak', score: null },
      { id: '3', name: 'plain', score: null },
    ]);
  });

  it('names the file and line of a row with the wrong number of fields', async () => {
    const folder = await tempFolder({ 'bad.csv': 'a,b\n1,2\n3,4,5\n' });
    const error = await collect(readRecords(join(folder, 'bad.csv'))).catch((e) => e);
    expect(error).toBeInstanceOf(TabularError);
    expect(error.message).toMatch(/bad\.csv \(line 3\).*3 fields but the header has 2/);
  });

  it('reports an unterminated quote as invalid CSV with a line', async () => {
    const folder = await tempFolder({ 'q.csv': 'a,b\n1,"open\n2,3\n' });
    const error = await collect(readRecords(join(folder, 'q.csv'))).catch((e) => e);
    expect(error).toBeInstanceOf(TabularError);
    expect(error.message).toMatch(/q\.csv \(line \d+\): not valid CSV/);
  });

  it('refuses duplicate header names', async () => {
    const folder = await tempFolder({ 'd.csv': 'a,a\n1,2\n' });
    await expect(collect(readRecords(join(folder, 'd.csv')))).rejects.toThrow(/duplicate column name "a"/);
  });

  it('bounds the record length', async () => {
    const folder = await tempFolder({ 'long.csv': `a\n"${'x'.repeat(5000)}"\n` });
    await expect(collect(readRecords(join(folder, 'long.csv'), { maxLineBytes: 1000 }))).rejects.toThrow(TabularError);
  });
});

describe('JSONL', () => {
  it('reads objects line by line, extending the header with new keys', async () => {
    const folder = await tempFolder({ 'a.jsonl': '{"x":1,"y":"a"}\n\n{"x":2,"z":true}\n' });
    expect(await collect(readRecords(join(folder, 'a.jsonl')))).toEqual([
      { x: 1, y: 'a', z: null },
      { x: 2, y: null, z: true },
    ]);
  });

  it('names the line of invalid JSON, a non-object line and an over-long line', async () => {
    const folder = await tempFolder({
      'bad.jsonl': '{"x":1}\n{"x":\n',
      'arr.jsonl': '[1,2]\n',
      'long.jsonl': `{"x":"${'y'.repeat(3000)}"}\n`,
    });
    await expect(collect(readRecords(join(folder, 'bad.jsonl')))).rejects.toThrow(
      /bad\.jsonl \(line 2\): not valid JSON/,
    );
    await expect(collect(readRecords(join(folder, 'arr.jsonl')))).rejects.toThrow(/line 1.*JSON object/);
    await expect(collect(readRecords(join(folder, 'long.jsonl'), { maxLineBytes: 1024 }))).rejects.toThrow(
      /line 1.*longer than 1024 bytes/,
    );
  });
});

describe('Parquet', () => {
  it('reads row groups one at a time, with int64 as numbers', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'n', data: Array.from({ length: 25 }, (_, i) => BigInt(i)), type: 'INT64' },
        { name: 'c', data: Array.from({ length: 25 }, (_, i) => (i % 2 ? 'odd' : 'even')), type: 'STRING' },
      ],
      rowGroupSize: 10,
    });
    const folder = await tempFolder({ 't.parquet': new Uint8Array(buffer) });
    const batches = await collect(readBatches(join(folder, 't.parquet')));
    expect(batches.map((b) => [b.firstRow, b.rows.length])).toEqual([
      [1, 10],
      [11, 10],
      [21, 5],
    ]);
    const table = await readColumns(join(folder, 't.parquet'));
    expect(table.columns.map((c) => c.type)).toEqual(['numeric', 'categorical']);
  });

  it('reports a file that is not Parquet', async () => {
    const folder = await tempFolder({ 'x.parquet': 'PAR1 not really' });
    await expect(readColumns(join(folder, 'x.parquet'))).rejects.toThrow(
      /x\.parquet \(footer\): not a readable Parquet/,
    );
  });
});

describe('typed columns', () => {
  it('infers numeric, boolean, datetime, categorical and text, and counts nulls', async () => {
    const lines = ['num,flag,when,cat,mixed,none'];
    for (let i = 0; i < 10; i++) {
      lines.push(
        `${i === 3 ? 'NaN' : i * 1.5},${i % 2 ? 'True' : 'false'},2024-01-0${(i % 9) + 1},${'abc'[i % 3]},${i === 9 ? 'x' : i},`,
      );
    }
    const folder = await tempFolder({ 't.csv': `${lines.join('\n')}\n` });
    const table = await readColumns(join(folder, 't.csv'));
    expect(table.rows).toBe(10);
    const byName = Object.fromEntries(table.columns.map((c) => [c.name, c]));
    expect(byName.num).toMatchObject({ type: 'numeric', nulls: 1 });
    expect(byName.flag).toMatchObject({ type: 'boolean', categories: ['false', 'true'] });
    expect(byName.when.type).toBe('datetime');
    expect(byName.cat).toMatchObject({ type: 'categorical', categories: ['a', 'b', 'c'] });
    expect(byName.mixed).toMatchObject({ type: 'categorical', nulls: 0 });
    expect(byName.none).toMatchObject({ type: 'empty', nulls: 10 });
  });

  it('detects the format from the bytes when the extension says nothing', async () => {
    const folder = await tempFolder({ data: '{"a":1}\n', other: 'a,b\n' });
    expect(await tabularFormat(join(folder, 'data'))).toBe('jsonl');
    expect(await tabularFormat(join(folder, 'other'))).toBe('csv');
  });
});
