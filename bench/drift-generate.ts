/**
 * Writes the drift benchmark inputs into bench/out/drift/ (git-ignored): reference and current tables of N rows
 * (default 1,000,000) × 20 columns — 14 numeric (normal, log-normal, uniform, integer counts) and 6 categorical
 * (3 to 200 categories) — as CSV and as Parquet. The current table shifts 5 numeric and 2 categorical columns.
 * Usage: npx tsx bench/drift-generate.ts [rows]
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

const rows = Number(process.argv[2] ?? 1_000_000);
const out = join(import.meta.dirname, 'out', 'drift');
const NUMERIC = 14;
const CATEGORICAL = 6;
const CATEGORY_COUNTS = [3, 5, 12, 30, 80, 200];

function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

/** Column i of a row: shifted columns move when `shifted` (numeric 0–4 by 0.1 std, categorical 0–1 in mix). */
function makeTable(seed: number, shifted: boolean) {
  const random = generator(seed);
  const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const numeric = Array.from({ length: NUMERIC }, () => new Float64Array(rows));
  const categorical = Array.from({ length: CATEGORICAL }, () => new Array<string>(rows));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < NUMERIC; c++) {
      const shift = shifted && c < 5 ? 0.1 : 0;
      const kind = c % 4;
      const value =
        kind === 0
          ? normal() + shift
          : kind === 1
            ? Math.exp(normal() * 0.5 + shift)
            : kind === 2
              ? random() + shift / 3
              : Math.floor(-Math.log(random()) * (10 + shift * 10));
      numeric[c][r] = Number(value.toFixed(5));
    }
    for (let c = 0; c < CATEGORICAL; c++) {
      const skew = shifted && c < 2 ? 1.3 : 1;
      const index = Math.min(CATEGORY_COUNTS[c] - 1, Math.floor(CATEGORY_COUNTS[c] * random() ** skew));
      categorical[c][r] = `c${c}_${index}`;
    }
  }
  return { numeric, categorical };
}

const header = [
  ...Array.from({ length: NUMERIC }, (_, i) => `n${i}`),
  ...Array.from({ length: CATEGORICAL }, (_, i) => `k${i}`),
];

async function writeCsv(path: string, table: ReturnType<typeof makeTable>) {
  const stream = createWriteStream(path);
  stream.write(`${header.join(',')}\n`);
  let chunk = '';
  for (let r = 0; r < rows; r++) {
    chunk += `${[...table.numeric.map((col) => col[r]), ...table.categorical.map((col) => col[r])].join(',')}\n`;
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
      chunk = '';
    }
  }
  stream.end(chunk);
  await new Promise<void>((resolve) => stream.once('finish', () => resolve()));
}

async function writeParquet(path: string, table: ReturnType<typeof makeTable>) {
  const buffer = parquetWriteBuffer({
    columnData: [
      ...table.numeric.map((data, i) => ({ name: `n${i}`, data: Array.from(data), type: 'DOUBLE' as const })),
      ...table.categorical.map((data, i) => ({ name: `k${i}`, data, type: 'STRING' as const })),
    ],
    rowGroupSize: 100_000,
  });
  await writeFile(path, new Uint8Array(buffer));
}

await mkdir(out, { recursive: true });
for (const [name, seed, shifted] of [
  ['reference', 1, false],
  ['current', 2, true],
] as const) {
  const table = makeTable(seed, shifted);
  await writeCsv(join(out, `${name}.csv`), table);
  await writeParquet(join(out, `${name}.parquet`), table);
  process.stderr.write(`wrote ${name}.csv and ${name}.parquet (${rows} rows × ${header.length} columns)\n`);
}
