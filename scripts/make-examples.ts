/** Regenerates examples/: a small benign model folder and a small malicious one (harmless `echo` payload). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callPickle, stateDictPickle } from '../test/fixtures/pickle-writer.js';
import { buildZip } from '../test/fixtures/zip-writer.js';

const root = join(import.meta.dirname, '..', 'examples');

function floats(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** torch.save's zip layout: archive/data.pkl, archive/data/<key>, archive/version, archive/byteorder. */
function torchZip(dataPkl: Uint8Array, storages: Uint8Array[]): Uint8Array {
  return buildZip([
    { name: 'archive/data.pkl', data: dataPkl },
    { name: 'archive/byteorder', data: 'little' },
    ...storages.map((data, key) => ({ name: `archive/data/${key}`, data })),
    { name: 'archive/version', data: '3\n' },
    { name: 'archive/.data/serialization_id', data: '1234567890123456789012345678901234567890\n' },
  ]);
}

const config = JSON.stringify({ architectures: ['TinyLinear'], model_type: 'tiny-linear', hidden_size: 4 }, null, 2);
const tensors = [
  { name: 'linear.weight', key: '0', numel: 4 },
  { name: 'linear.bias', key: '1', numel: 1 },
];
const storages = [floats([0.5, -0.25, 0.125, 1]), floats([0.1])];

write('benign-model', {
  'config.json': config,
  'pytorch_model.bin': torchZip(stateDictPickle(tensors, 2), storages),
  'README.md': '# Tiny linear model\n\nA 4-input linear layer saved the way torch.save does. Safe to load.\n',
});
write('malicious-model', {
  'config.json': config,
  'pytorch_model.bin': torchZip(
    callPickle('posix', 'system', 'echo "assay example: loading this model just ran a shell command"', 2),
    storages,
  ),
  'README.md':
    '# A malicious model (harmless payload)\n\nLoading `pytorch_model.bin` with torch.load(weights_only=False) runs ' +
    '`echo`. Assay reports it without loading it.\n',
});

function write(folder: string, files: Record<string, Uint8Array | string>) {
  mkdirSync(join(root, folder), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, folder, name), content);
  console.log(`wrote examples/${folder}`);
}
