import { readFileSync } from 'node:fs';
import { decompress, sniffCompression } from './src/formats/compression.js';
async function* one(b: Uint8Array, step = 1000) { for (let i = 0; i < b.length; i += step) yield b.subarray(i, i + step); }
async function run(kind: any, file: string, step?: number) {
  const b = readFileSync(file);
  let n = 0; const chunks: Buffer[] = [];
  try { for await (const c of decompress(kind, one(b, step))) { n += c.length; chunks.push(Buffer.from(c)); } 
    const text = Buffer.concat(chunks); console.log(file, sniffCompression(b), n, text.equals(readFileSync('/tmp/xzt/b.txt')) || text.equals(Buffer.concat([readFileSync('/tmp/xzt/b.txt'),readFileSync('/tmp/xzt/b.txt')])));
  } catch (e) { console.log(file, 'ERR', (e as Error).message); }
}
const d = '/tmp/xzt/';
await run('bzip2', d + 'b.bz2'); await run('bzip2', d + 'bb.bz2'); await run('xz', d + 'b.xz'); await run('xz', d+'b.xz', 7);
await run('lz4', d + 'b.lz4'); await run('lz4', d + 'b_linked.lz4'); await run('lz4', d + 'b_bx.lz4', 3);
// nested xz
const xzb = readFileSync(d + 'big.xz');
const A = decompress('xz', one(xzb, 65536))[Symbol.asyncIterator]();
console.log('A', (await A.next()).value?.length);
let m = 0; for await (const c of decompress('xz', one(xzb, 65536))) m += c.length; console.log('B full', m);
await A.return?.(undefined);
