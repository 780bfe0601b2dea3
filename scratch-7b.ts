import { writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { readSevenZip } from './src/formats/sevenzip.js';
function num(value: number): number[] {
  if (value < 0x80) return [value];
  if (value < 0x4000) return [0x80 | (value >> 8), value & 0xff];
  const out = Buffer.alloc(9); out[0] = 0xff; out.writeBigUInt64LE(BigInt(value), 1); return [...out];
}
const members = [{ name: 'a', data: 'x'.repeat(Number(process.argv[2] ?? 10)) }, { name: 'b', data: 'yy' }];
const packed = Buffer.from(members.map((m) => m.data).join(''), 'latin1');
const h: number[] = [0x01, 0x04, 0x06, 0, 1, 0x09, ...num(packed.length), 0, 0x07, 0x0b, 1, 0, 1, 1, 0, 0x0c, ...num(packed.length), 0,
  0x08, 0x0d, 2, 0x09, ...num(members[0].data.length), 0, 0, 0x05, 2];
const names = Buffer.concat(members.map((m) => Buffer.from(m.name + '\0', 'utf16le')));
h.push(0x11, ...num(names.length + 1), 0, ...names, 0, 0);
const hb = Buffer.from(h); const start = Buffer.alloc(20);
start.writeBigUInt64LE(BigInt(packed.length), 0); start.writeBigUInt64LE(BigInt(hb.length), 8); start.writeUInt32LE(crc32(hb), 16);
const sig = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4, 0, 0, 0, 0]); sig.writeUInt32LE(crc32(start), 8);
writeFileSync('/tmp/t.7z', Buffer.concat([sig, start, packed, hb]));
const t = setTimeout(() => { console.log('HANG'); process.exit(1); }, 3000);
for await (const m of readSevenZip('/tmp/t.7z', { maxEntries: 10, maxMemberBytes: 1 << 26 })) {
  let n = 0; for await (const c of m.body) n += c.length; console.log(m.name, m.size, n);
}
clearTimeout(t);
