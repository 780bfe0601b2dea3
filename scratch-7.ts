import { readSevenZip } from './src/formats/sevenzip.js';
for await (const m of readSevenZip('/work/shared/data/peer-corpora/picklescan/data/malicious1.7z', { maxEntries: 10, maxMemberBytes: 1 << 26 })) {
  const parts: Uint8Array[] = []; for await (const c of m.body) parts.push(c);
  const b = Buffer.concat(parts);
  console.log(m.name, m.size, m.isDirectory, m.isSymlink, b.length, b.subarray(0, 4), b.toString('latin1').includes('eval'));
}
