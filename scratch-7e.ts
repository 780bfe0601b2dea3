import { readSevenZip } from './src/formats/sevenzip.js';
try { for await (const _ of readSevenZip('/work/shared/data/peer-corpora/picklescan/data/malicious1.7z', { maxEntries: 10, maxMemberBytes: 16 })); } catch (e) { console.log((e as Error).message); }
import { readFileSync, writeFileSync } from 'node:fs';
const f = readFileSync('/work/shared/data/peer-corpora/picklescan/data/malicious1.7z');
const c = Buffer.from(f); c[f.length - 5] ^= 0xff; writeFileSync('/tmp/h.7z', c);
try { for await (const m of readSevenZip('/tmp/h.7z', { maxEntries: 10, maxMemberBytes: 1<<20 })) console.log(m.name); } catch (e) { console.log((e as Error).message); }
const d = Buffer.from(f); for (let i = 0x22; i < 0x50; i++) d[i] ^= 0x5a; writeFileSync('/tmp/d.7z', d);
try { for await (const m of readSevenZip('/tmp/d.7z', { maxEntries: 10, maxMemberBytes: 1<<20 })) for await (const _ of m.body); } catch (e) { console.log((e as Error).message); }
