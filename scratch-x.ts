import { readFileSync } from 'node:fs';
import { decompress } from './src/formats/compression.js';
async function* one(b: Uint8Array) { yield b; }
let n = 0; try { for await (const c of decompress('xz', one(readFileSync('/tmp/xzt/s.xz')))) n += c.length; console.log('sha256 ok', n); } catch (e) { console.log((e as Error).message); }
