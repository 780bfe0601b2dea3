import { bufferSource } from './src/formats/source.js';
import { listZip } from './src/formats/zip.js';
import { buildZip } from './test/fixtures/zip-writer.js';
let t = Date.now();
const members = Array.from({ length: 70_000 }, (_, i) => ({ name: `d/${i}` }));
const z = buildZip(members);
console.log('build', Date.now() - t); t = Date.now();
const l = await listZip(bufferSource(z, 'x'), { maxEntries: 100000 });
console.log('list', Date.now() - t, l.entries.length);
