/** Every bypass the issue names, built by the fixture writers, audited end to end like a user would. */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Compression, decompress } from '../../src/formats/compression.js';
import { bufferSource } from '../../src/formats/source.js';
import { EVIL_PICKLE_COMPRESSED } from '../fixtures/compressed.js';
import { callPickle, estimatorPickle, legacyTorchFile, pickle, stateDictPickle } from '../fixtures/pickle-writer.js';
import { buildTar } from '../fixtures/tar-writer.js';
import { buildZip } from '../fixtures/zip-writer.js';
import { auditFiles, auditPath, ruleIds, serious, tempFolder } from '../helpers.js';

const evil = (protocol = 4) => callPickle('os', 'system', 'echo pwned', protocol);
const torchZip = (dataPkl: Uint8Array, options: { flags?: number; name?: string } = {}) =>
  buildZip([
    { name: options.name ?? 'archive/data.pkl', data: dataPkl, flags: options.flags },
    { name: 'archive/data/0', data: new Uint8Array(16) },
    { name: 'archive/version', data: '3\n' },
  ]);
const tensors = [
  { name: 'layer.weight', key: '0', numel: 4 },
  { name: 'layer.bias', key: '1', numel: 2 },
];

async function expectMalicious(files: Record<string, Uint8Array | string>, rule = 'security/pickle-dangerous-global') {
  const report = await auditFiles(files);
  expect(report.gate.exitCode, JSON.stringify(report.findings, null, 1)).toBe(1);
  expect(serious(report).map((finding) => finding.ruleId)).toContain(rule);
  return report;
}

async function expectClean(files: Record<string, Uint8Array | string>) {
  const report = await auditFiles(files);
  expect(report.findings, JSON.stringify(report.findings, null, 1)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
  return report;
}

describe('benign models scan clean', () => {
  it('torch zip state dicts, protocols 2 and 4', async () => {
    await expectClean({
      'p2.pt': torchZip(stateDictPickle(tensors, 2)),
      'p4.pt': torchZip(stateDictPickle(tensors, 4)),
    });
  });
  it('legacy torch state dicts, with their raw storages after the pickles', async () => {
    await expectClean({
      'legacy.bin': legacyTorchFile(
        stateDictPickle(tensors, 2),
        new Uint8Array(Float32Array.from([0.5, 0x80, 2, 3]).buffer),
      ),
    });
  });
  it('an sklearn-like estimator, an OrderedDict and numpy arrays', async () => {
    const ordered = pickle()
      .proto(2)
      .global('collections', 'OrderedDict')
      .op('EMPTY_TUPLE')
      .op('REDUCE')
      .stop()
      .build();
    await expectClean({ 'model.joblib': estimatorPickle(), 'ordered.pkl': ordered });
  });
});

describe('code execution is found', () => {
  it('in raw pickles of protocols 0 through 5', async () => {
    for (const protocol of [0, 1, 2, 3, 4, 5]) {
      const report = await expectMalicious({ 'model.pkl': evil(protocol) });
      expect(report.findings[0].message).toContain('echo pwned');
    }
  });

  it('through Python 2 names (__builtin__.eval)', async () => {
    await expectMalicious({ 'model.pkl': callPickle('__builtin__', 'eval', '1+1', 0) });
  });

  it('through trampolines: importlib, marshal, inspect, pkgutil, functools.partial, operator', async () => {
    for (const [module, name] of [
      ['importlib', 'import_module'],
      ['marshal', 'loads'],
      ['inspect', 'getattr_static'],
      ['pkgutil', 'resolve_name'],
      ['functools', 'partial'],
      ['operator', 'attrgetter'],
      ['_operator', 'methodcaller'],
      ['torch.storage', '_load_from_bytes'],
      ['numpy', 'load'],
    ]) {
      await expectMalicious({ 'model.pkl': callPickle(module, name, 'x') });
    }
  });

  it('through attribute chains on allowed modules (numpy.__builtins__.eval)', async () => {
    const report = await expectMalicious({ 'model.pkl': callPickle('numpy', '__builtins__.eval', '1') });
    expect(report.findings[0].message).toContain('__builtins__');
  });

  it('when STACK_GLOBAL operands come from the memo or cannot be known', async () => {
    const viaMemo = pickle()
      .proto(4)
      .unicode('os')
      .binput(1)
      .op('POP')
      .binget(1)
      .unicode('system')
      .op('STACK_GLOBAL')
      .unicode('id')
      .op('TUPLE1')
      .op('REDUCE')
      .stop()
      .build();
    await expectMalicious({ 'memo.pkl': viaMemo });
    const unknown = pickle().proto(4).binget(5).unicode('system').op('STACK_GLOBAL').stop().build();
    await expectMalicious({ 'unknown.pkl': unknown }, 'security/pickle-unresolved-global');
  });

  it('through EXT opcodes', async () => {
    await expectMalicious(
      { 'ext.pkl': pickle().proto(2).ext1(1).op('EMPTY_TUPLE').op('REDUCE').stop().build() },
      'security/pickle-unresolved-global',
    );
  });

  it('in a pickle hidden behind a FRAME whose length disagrees with the data', async () => {
    const payload = pickle().stackGlobal('os', 'system').unicode('id').op('TUPLE1').op('REDUCE').build();
    const desync = pickle()
      .proto(4)
      .frame(7)
      .op('BINBYTES')
      .raw([16, 0, 0, 0])
      .raw([0, 0])
      .raw(new Uint8Array(14))
      .raw([0x43, payload.length])
      .raw(payload)
      .stop()
      .build();
    const report = await expectMalicious({ 'desync.pkl': desync });
    expect(ruleIds(report)).toContain('security/pickle-frame-desync');
  });

  it('in the second of stacked pickles, and behind junk', async () => {
    const benign = pickle().proto(2).op('NONE').stop().build();
    await expectMalicious({ 'stacked.pkl': Buffer.concat([benign, evil(2)]) });
    const report = await expectMalicious({ 'junk.pkl': Buffer.concat([evil(2), Buffer.from('garbage')]) });
    expect(ruleIds(report)).toContain('security/pickle-trailing-bytes');
  });

  it('in nested pickles: bytes handed to pickle.loads, and base64 / hex values', async () => {
    const inner = evil(4);
    const loads = pickle()
      .proto(4)
      .stackGlobal('pickle', 'loads')
      .bytes(inner)
      .op('TUPLE1')
      .op('REDUCE')
      .stop()
      .build();
    const report = await expectMalicious({ 'nested.pkl': loads });
    expect(report.findings.some((finding) => finding.location?.member?.includes('@'))).toBe(true);
    const base64 = pickle()
      .proto(4)
      .op('EMPTY_DICT')
      .unicode('blob')
      .unicode(Buffer.from(inner).toString('base64'))
      .op('SETITEM')
      .stop()
      .build();
    await expectMalicious({ 'b64.pkl': base64 }, 'security/embedded-pickle');
    const hex = pickle()
      .proto(4)
      .op('EMPTY_DICT')
      .unicode('blob')
      .unicode(Buffer.from(inner).toString('hex'))
      .op('SETITEM')
      .stop()
      .build();
    await expectMalicious({ 'hex.pkl': hex }, 'security/embedded-pickle');
  });

  it('when BUILD rewrites a module to redirect a safe-looking global', async () => {
    const rewrite = pickle()
      .proto(4)
      .stackGlobal('torch', '_utils')
      .op('EMPTY_DICT')
      .unicode('_rebuild_tensor')
      .unicode('eval')
      .op('SETITEM')
      .op('BUILD')
      .stop()
      .build();
    await expectMalicious({ 'rewrite.pkl': rewrite }, 'security/pickle-global-mutated');
  });

  it('in compressed joblib files: gzip, zlib, bz2, xz, lz4', async () => {
    const payload = evil(4);
    const wrapped: Record<string, Uint8Array> = { gzip: gzipSync(payload), zlib: deflateSync(payload) };
    for (const [kind, base64] of Object.entries(EVIL_PICKLE_COMPRESSED)) {
      wrapped[kind] = Buffer.from(base64, 'base64');
      const decoded = [];
      for await (const chunk of decompress(kind as Compression, bufferSource(wrapped[kind], kind).stream()))
        decoded.push(chunk);
      expect(Buffer.concat(decoded)).toEqual(Buffer.from(payload));
    }
    for (const [kind, bytes] of Object.entries(wrapped)) {
      const report = await expectMalicious({ [`model.${kind}.joblib`]: bytes });
      expect(report.findings[0].location?.member).toContain(`[${kind}]`);
    }
  });
});

describe('containers PyTorch still loads are read the way PyTorch reads them', () => {
  it('zips with unusual flag bits', async () => {
    for (const flags of [0x1, 0x20, 0x40]) await expectMalicious({ 'model.pt': torchZip(evil(2), { flags }) });
  });
  it('a zip whose central directory disagrees with its local headers', async () => {
    const zip = buildZip([
      { name: 'archive/data.pkl', localName: 'archive/datap.kl', data: evil(2) },
      { name: 'archive/version', data: '3\n' },
    ]);
    await expectMalicious({ 'model.pt': zip });
  });
  it('a zip without a central directory', async () => {
    await expectMalicious({
      'model.pt': buildZip([{ name: 'archive/data.pkl', data: evil(2) }], { omitCentralDirectory: true }),
    });
  });
  it('a pickle member with any name (data.txt), deflated', async () => {
    await expectMalicious({ 'model.pt': buildZip([{ name: 'archive/data.txt', data: evil(2), method: 8 }]) });
  });
  it('legacy torch files, including the magic-number bypass', async () => {
    await expectMalicious({ 'legacy.pt': legacyTorchFile(evil(2), new Uint8Array(16)) });
    const magicViaEval = callPickle('builtins', 'eval', '0x1950a86a20f9469cfc6c', 2);
    await expectMalicious({
      'bypass.pt': legacyTorchFile(stateDictPickle(tensors, 2), new Uint8Array(16), magicViaEval),
    });
  });
  it('TorchScript archives report their code for review', async () => {
    const script = buildZip([
      { name: 'model/code/__torch__.py', data: 'def forward(self, x):\n  return x\n' },
      { name: 'model/constants.pkl', data: pickle().proto(2).op('EMPTY_TUPLE').stop().build() },
      { name: 'model/data.pkl', data: stateDictPickle(tensors, 2) },
    ]);
    const report = await auditFiles({ 'scripted.pt': script });
    expect(ruleIds(report)).toContain('security/torchscript-code');
    expect(report.gate.exitCode).toBe(0);
  });
});

describe('archives', () => {
  it('tar archives holding pickles, zip-slip names and links', async () => {
    const tar = buildTar([
      { name: 'model/weights.pkl', data: evil(4) },
      { name: '../../etc/evil', data: 'x' },
      { name: 'model/link', type: '2', linkName: '/etc/passwd' },
    ]);
    const report = await expectMalicious({ 'model.tar': tar });
    expect(ruleIds(report)).toEqual(expect.arrayContaining(['security/archive-unsafe-path', 'security/archive-link']));
  });
  it('zip-slip and symlinks inside zips', async () => {
    const zip = buildZip([
      { name: '/abs/evil.txt', data: 'x' },
      { name: 'link', data: '../../secret', externalAttributes: (0o120777 << 16) >>> 0 },
    ]);
    const report = await auditFiles({ 'a.zip': zip });
    expect(ruleIds(report)).toEqual(expect.arrayContaining(['security/archive-unsafe-path', 'security/archive-link']));
    expect(report.gate.exitCode).toBe(1);
  });
  it('nested archives down to the depth limit, then a finding', async () => {
    let bytes: Uint8Array = evil(2);
    for (let depth = 0; depth < 3; depth++) bytes = buildZip([{ name: `level${depth}.zip`, data: bytes }]);
    await expectMalicious({ 'nested.zip': bytes });
    let deep: Uint8Array = evil(2);
    for (let depth = 0; depth < 9; depth++) deep = gzipSync(deep);
    const report = await auditFiles({ 'deep.gz': deep });
    expect(ruleIds(report)).toContain('security/not-analysed');
    expect(report.gate.exitCode).toBe(2);
  });
});

describe('files', () => {
  it('a pickle disguised by its extension is a finding of its own', async () => {
    const report = await auditFiles({ 'model.safetensors': pickle().proto(4).op('NONE').stop().build() });
    expect(serious(report).map((finding) => finding.ruleId)).toEqual(['security/extension-mismatch']);
  });
  it('unknown globals are medium and can be allowed by policy with a reason', async () => {
    const custom = pickle()
      .proto(4)
      .stackGlobal('mylab.layers', 'CustomNorm')
      .op('EMPTY_TUPLE')
      .op('NEWOBJ')
      .stop()
      .build();
    const report = await auditFiles({ 'model.pkl': custom });
    expect(report.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['security/pickle-unknown-global', 'medium'],
    ]);
    expect(report.gate.exitCode).toBe(0);
    const allowed = await auditFiles(
      { 'model.pkl': custom },
      { allowGlobals: [{ global: 'mylab.layers.CustomNorm', reason: 'ours' }] },
    );
    expect(allowed.findings).toEqual([]);
    const strict = await auditFiles({ 'model.pkl': custom }, { failOn: 'medium' });
    expect(strict.gate.exitCode).toBe(1);
  });
});

describe('nested pickles handed to a deserializer', () => {
  it('are analysed whatever their first bytes, including the _codecs.encode spelling of protocol 0', async () => {
    const inner = callPickle('os', 'system', 'id', 0);
    const viaCodecs = pickle()
      .global('pickle', 'loads')
      .op('MARK')
      .global('_codecs', 'encode')
      .op('MARK')
      .textUnicode(Buffer.from(inner).toString('latin1').replace(/\n/g, '\\u000a'))
      .textUnicode('latin1')
      .op('TUPLE')
      .op('REDUCE')
      .op('TUPLE')
      .op('REDUCE')
      .stop()
      .build();
    const report = await expectMalicious({ 'nested0.pkl': viaCodecs });
    const nested = report.findings.find((finding) => finding.location?.member?.includes('loader-argument'));
    expect(nested).toMatchObject({ ruleId: 'security/pickle-dangerous-global' });
    expect(nested?.message).toContain('os.system');
  });
});

describe('hostile shapes get findings, not crashes', () => {
  it('a memo expansion bomb', async () => {
    const bomb = pickle().proto(4).op('EMPTY_LIST').binput(0);
    for (let i = 0; i < 120_000; i++) bomb.binget(0).op('APPEND');
    const report = await auditFiles({ 'bomb.pkl': bomb.stop().build() });
    expect(serious(report).map((finding) => finding.ruleId)).toEqual(['security/pickle-expansion']);
  });

  it('a decompression bomb stops at the limit', async () => {
    const zeros = Buffer.concat([
      pickle()
        .proto(4)
        .bytes8Header(8 << 20)
        .build(),
      new Uint8Array(8 << 20),
      pickle().stop().build(),
    ]);
    const report = await auditFiles(
      { 'zeros.pkl.gz': gzipSync(zeros) },
      {},
      { bombMinBytes: 1 << 20, maxCompressionRatio: 100 },
    );
    expect(ruleIds(report)).toContain('security/archive-bomb');
    expect(report.gate.exitCode).toBe(1);
  });

  it('a symbolic link out of the model folder is reported and not followed', async () => {
    const folder = await tempFolder({ 'model.pkl': pickle().proto(4).op('NONE').stop().build() });
    await symlink('/etc/passwd', join(folder, 'tokenizer.json'));
    const report = await auditPath(folder);
    expect(report.findings.map((finding) => [finding.ruleId, finding.file])).toEqual([
      ['security/symlink-escape', 'tokenizer.json'],
    ]);
    expect(report.files.map((file) => file.path)).toEqual(['model.pkl']);
  });
});

describe('text too large to inspect', () => {
  it('is reported (medium) instead of passing silently', async () => {
    const report = await auditFiles({ 'config.json': `{"a": "${'x'.repeat(2048)}"}` }, {}, { maxTextBytes: 1024 });
    expect(report.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['security/not-analysed', 'medium'],
    ]);
    expect(report.gate.exitCode).toBe(0);
  });
});
