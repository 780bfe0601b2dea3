/** ONNX rules, end to end through the audit, with models built by test/fixtures/onnx-builder.ts. */
import { link, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benignOnnx, floatBytes, type GraphSpec, type NodeSpec, onnxModel } from '../fixtures/onnx-builder.js';
import { buildZip } from '../fixtures/zip-writer.js';
import { auditFiles, auditPath, ruleIds, serious, tempFolder } from '../helpers.js';

async function expectClean(files: Record<string, Uint8Array | string>) {
  const report = await auditFiles(files);
  expect(report.findings, JSON.stringify(report.findings, null, 1)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
  return report;
}

async function expectFinding(files: Record<string, Uint8Array | string> | string, rule: string, exitCode = 1) {
  const report = typeof files === 'string' ? await auditPath(files) : await auditFiles(files);
  const summary = JSON.stringify(report.findings, null, 1);
  expect(ruleIds(report), summary).toContain(rule);
  expect(report.gate.exitCode, summary).toBe(exitCode);
  return report.findings.filter((finding) => finding.ruleId === rule);
}

const pyOp: NodeSpec = {
  opType: 'PyOp',
  domain: 'com.microsoft',
  name: 'hook',
  attributes: [
    { name: 'module', s: 'os' },
    { name: 'class_name', s: 'Evil' },
    { name: 'compute', s: 'system' },
  ],
};
const ifWith = (thenBranch: GraphSpec): NodeSpec => ({
  opType: 'If',
  name: 'branch',
  inputs: ['cond'],
  attributes: [
    { name: 'then_branch', g: thenBranch },
    { name: 'else_branch', g: { nodes: [{ opType: 'Identity' }] } },
  ],
});

describe('benign ONNX models scan clean', () => {
  it('standard operators, ONNX Runtime contrib ops, subgraphs and local functions', async () => {
    await expectClean({
      'model.onnx': benignOnnx(),
      'contrib.onnx': benignOnnx({
        nodes: [
          { opType: 'FusedMatMul', domain: 'com.microsoft' },
          { opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml' },
        ],
        opsets: [
          { domain: '', version: 17 },
          { domain: 'com.microsoft', version: 1 },
          { domain: 'ai.onnx.ml', version: 3 },
        ],
      }),
      'loop.onnx': benignOnnx({ nodes: [ifWith({ nodes: [{ opType: 'Relu' }] })] }),
      'function.onnx': benignOnnx({
        nodes: [{ opType: 'Gelu', domain: 'local.fns' }],
        functions: [{ name: 'Gelu', domain: 'local.fns', nodes: [{ opType: 'Erf' }, { opType: 'Mul' }] }],
      }),
    });
  });

  it('external data inside the folder, long enough', async () => {
    await expectClean({
      'model.onnx': benignOnnx({
        initializers: [
          { name: 'w', dims: [16], external: { location: 'weights/model.data', offset: 0, length: 64 } },
          { name: 'b', dims: [4], external: { location: 'weights/model.data', offset: 64, length: 16 } },
        ],
      }),
      'weights/model.data': floatBytes(20),
    });
  });

  it('is recognised without the .onnx name from its first fields', async () => {
    const report = await expectClean({ model: benignOnnx() });
    expect(report.files[0].format).toBe('onnx');
  });
});

describe('security/onnx-python-op', () => {
  it('PyOp names the module and function it calls', async () => {
    const [finding] = await expectFinding({ 'model.onnx': benignOnnx({ nodes: [pyOp] }) }, 'security/onnx-python-op');
    expect(finding.severity).toBe('critical');
    expect(finding.evidence).toMatchObject({
      attributes: { module: 'os', compute: 'system' },
      producer: 'assay-tests 1.0',
      opsets: ['ai.onnx:17'],
    });
    expect(finding.location?.offset).toBeGreaterThan(0);
  });

  it('PythonOp, onnxruntime-extensions Py* ops and com.microsoft.extensions', async () => {
    for (const node of [
      { opType: 'PythonOp', domain: 'com.microsoft' },
      { opType: 'PyReverseMatrix', domain: 'ai.onnx.contrib' },
      { opType: 'AnyName', domain: 'com.microsoft.extensions' },
    ]) {
      await expectFinding({ 'model.onnx': benignOnnx({ nodes: [node] }) }, 'security/onnx-python-op');
    }
  });

  it('inside If subgraphs, nested subgraphs, model-local functions and training graphs', async () => {
    await expectFinding(
      { 'model.onnx': benignOnnx({ nodes: [ifWith({ nodes: [ifWith({ nodes: [pyOp] })] })] }) },
      'security/onnx-python-op',
    );
    await expectFinding(
      {
        'model.onnx': benignOnnx({
          nodes: [{ opType: 'Helper', domain: 'local' }],
          functions: [{ name: 'Helper', domain: 'local', nodes: [pyOp] }],
        }),
      },
      'security/onnx-python-op',
    );
    await expectFinding(
      { 'model.onnx': benignOnnx({ trainingAlgorithm: { nodes: [pyOp] } }) },
      'security/onnx-python-op',
    );
  });

  it('behind a 20 MiB tensor that is skipped, not buffered', async () => {
    const big = new Uint8Array(20 << 20).fill(7);
    // Functions are encoded after the graph (field 25), so the hook sits past the tensor.
    const findings = await expectFinding(
      {
        'model.onnx': onnxModel({
          initializers: [{ name: 'big', dims: [big.length / 4], raw: big }],
          nodes: [{ opType: 'Helper', domain: 'local' }],
          functions: [{ name: 'Helper', domain: 'local', nodes: [pyOp] }],
        }),
      },
      'security/onnx-python-op',
    );
    expect(findings[0].location?.offset).toBeGreaterThan(20 << 20);
  });
});

describe('security/onnx-custom-domain', () => {
  it('an unknown domain is medium (review, the gate passes)', async () => {
    const [finding] = await expectFinding(
      { 'model.onnx': benignOnnx({ nodes: [{ opType: 'Mystery', domain: 'com.example.ops' }] }) },
      'security/onnx-custom-domain',
      0,
    );
    expect(finding.severity).toBe('medium');
  });

  it('a known extension domain is low', async () => {
    const [finding] = await expectFinding(
      { 'model.onnx': benignOnnx({ nodes: [{ opType: 'GPT2Tokenizer', domain: 'ai.onnx.contrib' }] }) },
      'security/onnx-custom-domain',
      0,
    );
    expect(finding.severity).toBe('low');
  });
});

describe('security/onnx-external-data-escape', () => {
  const external = (location: string) =>
    benignOnnx({ initializers: [{ name: 'w', dims: [4], external: { location, offset: 0, length: 16 } }] });

  it('absolute, .., backslash, drive-letter and NUL locations', async () => {
    for (const location of [
      '/etc/passwd',
      '../../etc/passwd',
      'a/../../x',
      '..\\..\\windows\\win.ini',
      'C:/x',
      'w\0.bin',
    ]) {
      const [finding] = await expectFinding({ 'model.onnx': external(location) }, 'security/onnx-external-data-escape');
      expect(finding.severity).toBe('critical');
      expect(finding.evidence?.location).toBe(location);
    }
  });

  it('a symbolic link inside the folder, even one that looks harmless', async () => {
    const folder = await tempFolder({ 'model.onnx': external('weights.bin'), 'real.bin': floatBytes(4) });
    await symlink('/etc/hostname', join(folder, 'weights.bin'));
    const [finding] = await expectFinding(folder, 'security/onnx-external-data-escape');
    expect(finding.message).toContain('symbolic link');
    const linkedFolder = await tempFolder({
      'model.onnx': external('sub/weights.bin'),
      'real/weights.bin': floatBytes(4),
    });
    await symlink(join(linkedFolder, 'real'), join(linkedFolder, 'sub'));
    await expectFinding(linkedFolder, 'security/onnx-external-data-escape');
  });

  it('a hard link', async () => {
    const outside = await tempFolder({ 'secret.bin': floatBytes(4) });
    const folder = await tempFolder({ 'model.onnx': external('weights.bin') });
    await link(join(outside, 'secret.bin'), join(folder, 'weights.bin'));
    const [finding] = await expectFinding(folder, 'security/onnx-external-data-escape');
    expect(finding.evidence?.state).toBe('hardlink');
  });

  it('in a tensor attribute of a Constant node inside a subgraph', async () => {
    await expectFinding(
      {
        'model.onnx': benignOnnx({
          nodes: [
            ifWith({
              nodes: [
                {
                  opType: 'Constant',
                  attributes: [{ name: 'value', t: { name: 'c', external: { location: '/proc/self/environ' } } }],
                },
              ],
            }),
          ],
        }),
      },
      'security/onnx-external-data-escape',
    );
  });

  it('inside an archive: the location is judged even though the disk is not consulted', async () => {
    await expectFinding(
      { 'bundle.zip': buildZip([{ name: 'model.onnx', data: external('../x.bin') }]) },
      'security/onnx-external-data-escape',
    );
  });
});

describe('security/onnx-external-data-missing', () => {
  it('missing file, file shorter than offset + length, and non-numeric ranges', async () => {
    const spec = (offset: number | string, length: number | string) =>
      benignOnnx({ initializers: [{ name: 'w', dims: [4], external: { location: 'w.bin', offset, length } }] });
    const [missing] = await expectFinding({ 'model.onnx': spec(0, 16) }, 'security/onnx-external-data-missing');
    expect(missing.evidence?.state).toBe('missing');
    const [short] = await expectFinding(
      { 'model.onnx': spec(8, 16), 'w.bin': floatBytes(4) },
      'security/onnx-external-data-missing',
    );
    expect(short).toMatchObject({ severity: 'high', evidence: { state: 'too-short', fileSize: 16 } });
    const [range] = await expectFinding(
      { 'model.onnx': spec('-1', 'lots'), 'w.bin': floatBytes(4) },
      'security/onnx-external-data-missing',
    );
    expect(range.evidence?.state).toBe('bad-range');
  });

  it('a folder where the file should be', async () => {
    const [finding] = await expectFinding(
      {
        'model.onnx': benignOnnx({ initializers: [{ name: 'w', external: { location: 'w.bin' } }] }),
        'w.bin/inner': 'x',
      },
      'security/onnx-external-data-missing',
    );
    expect(finding.evidence?.state).toBe('not-a-file');
  });
});

describe('hostile ONNX bytes are reported, never clean', () => {
  it('a truncated model', async () => {
    const bytes = onnxModel({ nodes: [pyOp], initializers: [{ name: 'w', raw: floatBytes(256) }] });
    const report = await auditFiles({ 'model.onnx': bytes.subarray(0, bytes.length - 40) });
    expect(ruleIds(report)).toContain('security/not-analysed');
    expect(report.gate.exitCode).toBe(2);
    expect(report.findings.find((f) => f.ruleId === 'security/not-analysed')?.location?.offset).toBeTypeOf('number');
  });

  it('subgraphs nested past the depth limit', async () => {
    let graph: GraphSpec = { nodes: [{ opType: 'Relu' }] };
    for (let i = 0; i < 25; i++) graph = { nodes: [ifWith(graph)] };
    const report = await auditFiles({ 'model.onnx': onnxModel(graph) });
    expect(report.findings.map((f) => f.message).join('\n')).toContain('nest deeper');
    expect(serious(report).length).toBeGreaterThan(0);
  });
});

describe('mutated ONNX bytes never crash the audit', () => {
  it('200 deterministic byte flips and truncations of a model with subgraphs and external data', async () => {
    const base = benignOnnx({
      nodes: [ifWith({ nodes: [pyOp] })],
      initializers: [{ name: 'w', dims: [4], external: { location: 'w.bin', offset: 0, length: 16 } }],
    });
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 200; i++) {
      const bytes = base.slice(0, i % 3 === 0 ? next() % base.length : base.length);
      for (let flips = 0; flips < 3; flips++) bytes[next() % bytes.length] = next() % 256;
      files[`m${i}.onnx`] = bytes;
    }
    const report = await auditFiles(files);
    expect(report.files).toHaveLength(200);
  });
});
