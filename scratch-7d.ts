import { readFileSync, openSync } from 'node:fs';
process.env.LZMA_NATIVE_DISABLE = '1';
const { SevenZipParser, FileSource } = await import('7z-iterator');
const bytes = readFileSync('/tmp/c.7z');

const p = new SevenZipParser(new FileSource(openSync('/tmp/c.7z', 'r'), bytes.length));
await p.parse();
const e = p.getEntries()[0];
console.log((p as any).streamsInfo.folders[0].coders.map((c: any) => c.id), (p as any).streamsInfo.packSizes);
const f = p.streamFolder(e._folderIndex);
const out = f.output as any;
console.log('listeners before', out.listenerCount('error'), out.constructor.name);
f.output.on('error', (err: Error) => console.log('output error', err.message));
out.emit = new Proxy(out.emit, { apply(t, self, args) { if (args[0]==='error' || args[0]==='end' || args[0]==='finish') console.log('emit', args[0], args[1]?.message, self.listenerCount('error')); return Reflect.apply(t, self, args); } });
f.output.on('data', (d: Buffer) => console.log('data', d.length));
setTimeout(() => console.log('timeout'), 1000);
