import { statSync } from 'node:fs';
import { fileSource } from './src/formats/source.js';
import { listZip, openZipEntry } from './src/formats/zip.js';
const dir = '/work/shared/data/peer-corpora/picklescan/';
for (const f of ['data/malicious1.zip','data/malicious1_0x1.zip','data/malicious1_0x20.zip','data/malicious1_0x40.zip','data/malicious1_central_directory.zip','data/malicious1_wrong_ext.zip','data/benign_password_protected.zip','data2/malicious1_crc.zip','data/new_pytorch_model.bin','data2/int_arrays.npz','data2/object_arrays_compressed.npz']) {
  const p = dir + f; const src = fileSource(p, statSync(p).size);
  const l = await listZip(src, { maxEntries: 100 });
  console.log('==', f, JSON.stringify(l.damage), l.truncated);
  for (const e of l.entries) {
    let n = 0; let head = '';
    try { for await (const c of openZipEntry(src, e).stream()) { if (!head) head = Buffer.from(c.subarray(0, 8)).toString('hex'); n += c.length; } } catch (err) { head = 'ERR ' + (err as Error).message; }
    console.log(' ', e.name, e.method, e.flags.toString(16), e.compressedSize, e.uncompressedSize, e.dataOffset, e.encrypted, e.source, n, head);
  }
}
