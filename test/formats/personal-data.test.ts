import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/formats/analyse.js';
import { factsOf } from '../../src/formats/facts.js';
import { dataLayout, PERSONAL_DATA_BUDGET, type PersonalDataFact } from '../../src/formats/personal-data.js';
import { snapshotLocal } from '../../src/targets/local.js';
import { buildTar } from '../fixtures/tar-writer.js';
import { tempFolder } from '../helpers.js';

async function personalData(files: Record<string, Uint8Array | string>, limits = DEFAULT_LIMITS) {
  const snapshot = await snapshotLocal(await tempFolder(files), { limits });
  const byFile = new Map<string, PersonalDataFact>();
  for (const artifact of snapshot.artifacts)
    for (const fact of factsOf(artifact, 'personal-data')) byFile.set(artifact.file, fact);
  return { byFile, artifacts: snapshot.artifacts };
}

const CUSTOMERS_CSV = [
  'id,name,email,phone,card,notes',
  '1,Ann,ann.lee@mailbox.org,+1 415 555 2671,4539 1488 0343 6467,ok',
  '2,Bob,bob.k@fastmail.com,+44 20 7946 0958,,"called, no answer"',
  '3,Cy,cy@corp.io,(212) 555-7788,,SSN 536-22-1234 on file',
].join('\n');

describe('personal data in shipped data files', () => {
  it('counts kinds per column in a CSV with masked examples and their row', async () => {
    const { byFile } = await personalData({ 'data/customers.csv': CUSTOMERS_CSV });
    const fact = byFile.get('data/customers.csv');
    expect(fact?.layout).toBe('csv');
    expect(fact?.counts).toEqual({ email: 3, phone: 3, 'credit-card': 1, 'us-ssn': 1 });
    expect(fact?.fields.find((field) => field.name === 'email')?.counts).toEqual({ email: 3 });
    expect(fact?.examples).toContainEqual(
      expect.objectContaining({
        kind: 'credit-card',
        masked: '**** **** **** 6467',
        where: 'row on line 2, column "card"',
      }),
    );
    expect(fact?.sample).toMatchObject({ complete: true, description: expect.stringContaining('whole file') });
    // No raw value anywhere in the fact.
    const serialised = JSON.stringify(fact);
    for (const raw of ['ann.lee@mailbox.org', '4539 1488 0343 6467', '536-22-1234', '7946 0958']) {
      expect(serialised).not.toContain(raw);
    }
  });

  it('reads JSONL records by key and JSON documents by key path', async () => {
    const jsonl = [
      JSON.stringify({ user: { contact: 'dana@uni-bonn.de' }, text: 'hello' }),
      JSON.stringify({ user: { contact: 'eli@uni-bonn.de' }, text: 'my iban is DE89 3704 0044 0532 0130 00' }),
      'not json at all, mail fay@uni-bonn.de',
    ].join('\n');
    const json = JSON.stringify({ rows: [{ client_ip: '81.2.69.160' }, { client_ip: '8.8.4.4' }] });
    const { byFile } = await personalData({ 'train.jsonl': jsonl, 'sample.json': json });
    const lines = byFile.get('train.jsonl');
    expect(lines?.counts).toEqual({ email: 3, iban: 1 });
    expect(lines?.fields.map((field) => field.name).sort()).toEqual(['text', 'user.contact']);
    expect(lines?.readAsText).toContain('1 line(s) are not JSON');
    expect(byFile.get('sample.json')?.counts).toEqual({ 'ip-address': 2 });
    expect(byFile.get('sample.json')?.examples[0]).toMatchObject({ where: 'key "rows.client_ip"', masked: '81.*.*.*' });
  });

  it('finds personal data in a Parquet file written by hyparquet-writer, reading only a bounded sample', async () => {
    const rows = 5000;
    const buffer = parquetWriteBuffer({
      columnData: [
        {
          name: 'user_email',
          data: Array.from({ length: rows }, (_, i) => `person${i}@example-mail.net`),
          type: 'STRING',
        },
        { name: 'score', data: Array.from({ length: rows }, (_, i) => i / rows), type: 'DOUBLE' },
      ],
      rowGroupSize: 1000,
    });
    const { byFile } = await personalData({ 'eval/records.parquet': new Uint8Array(buffer) });
    const fact = byFile.get('eval/records.parquet');
    expect(fact?.layout).toBe('parquet');
    // 2,000 rows would be asked of the first group, which holds 1,000; then 500 from each of 3 more groups.
    expect(fact?.sample.rowsRead).toBe(1000 + 3 * PERSONAL_DATA_BUDGET.parquetRowsPerGroup);
    expect(fact?.sample).toMatchObject({ complete: false, totalRows: rows });
    expect(fact?.counts).toEqual({ email: 2500 });
    expect(fact?.examples[0]).toMatchObject({
      kind: 'email',
      masked: 'p***@e***.net',
      where: 'row 1, column "user_email"',
    });
  });

  it('reports a damaged Parquet file instead of calling it clean', async () => {
    // Magic at both ends, but the footer claims 4 GiB of metadata.
    const bytes = new Uint8Array([0x50, 0x41, 0x52, 0x31, 0, 1, 2, 3, 0xff, 0xff, 0xff, 0xff, 0x50, 0x41, 0x52, 0x31]);
    const { artifacts } = await personalData({ 'broken.parquet': bytes });
    expect(artifacts[0]?.format).toBe('parquet');
    expect(artifacts[0]?.facts.some((fact) => fact.kind === 'malformed')).toBe(true);
  });

  it('samples files above the text limit: head plus windows, and says so', async () => {
    const line = 'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n';
    const filler = line.repeat(Math.ceil((12 << 20) / line.length));
    const text = `contact: zoe@research-lab.org\n${filler}tail: yan@research-lab.org\n`;
    const { byFile } = await personalData({ 'corpus.txt': text }, { ...DEFAULT_LIMITS, maxTextBytes: 1 << 20 });
    const fact = byFile.get('corpus.txt');
    expect(fact?.sample.complete).toBe(false);
    expect(fact?.sample.description).toMatch(/first 4 MiB and 16 windows of 256 KiB spread over 12 MiB/);
    expect(fact?.counts.email).toBeGreaterThanOrEqual(1);
    expect(fact?.examples[0]?.where).toBe('line 1');
  });

  it('survives hostile data files: deep nesting, broken CSV quoting, Parquet it cannot reach', async () => {
    const parquet = parquetWriteBuffer({ columnData: [{ name: 'email', data: ['ada@byron.uk'], type: 'STRING' }] });
    const { byFile, artifacts } = await personalData({
      'deep.json': `${'['.repeat(100_000)}"ada@byron-mail.uk"${']'.repeat(100_000)}`,
      'broken.csv': 'email,note\nada@byron-mail.uk,"never closed\n',
      'bundle.tar': buildTar([{ name: 'rows.parquet', data: new Uint8Array(parquet) }]),
    });
    expect(byFile.get('deep.json')?.counts).toEqual({});
    expect(byFile.get('deep.json')?.sample).toMatchObject({
      complete: false,
      description: expect.stringContaining('values nested deeper than 64 levels'),
    });
    expect(byFile.get('broken.csv')?.readAsText).toMatch(/^not valid CSV/);
    expect(byFile.get('broken.csv')?.counts).toEqual({ email: 1 });
    const member = artifacts.find((artifact) => artifact.member === 'rows.parquet');
    expect(member?.format).toBe('parquet');
    expect(member?.facts).toContainEqual(expect.objectContaining({ kind: 'not-analysed' }));
  });

  it('reads nothing for personal data when the analysis is told not to (assay scan)', async () => {
    const parquet = parquetWriteBuffer({
      columnData: [{ name: 'email', data: ['ada@byron-mail.uk'], type: 'STRING' }],
    });
    const { byFile, artifacts } = await personalData(
      { 'people.csv': CUSTOMERS_CSV, 'rows.parquet': new Uint8Array(parquet) },
      { ...DEFAULT_LIMITS, personalData: false },
    );
    expect(byFile.size).toBe(0);
    expect(artifacts.find((artifact) => artifact.file === 'rows.parquet')?.facts).toEqual([]);
  });

  it('leaves model configs, tokenizers, requirements and licences alone', () => {
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'merges.txt']) {
      expect(dataLayout(name), name).toBeUndefined();
    }
    for (const name of ['requirements.txt', 'LICENSE.txt', 'model.safetensors.index.json', 'generation_config.json']) {
      expect(dataLayout(name), name).toBeUndefined();
    }
    expect(dataLayout('data/train.csv')).toBe('csv');
    expect(dataLayout('samples.jsonl')).toBe('jsonl');
    expect(dataLayout('eval/prompts.txt')).toBe('text');
  });
});
