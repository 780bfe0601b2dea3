/** SavedModel rules with SavedModel protos built from our own schema subset, plus ModelAudit's samples. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SavedModelType } from '../../src/formats/savedmodel.js';
import { auditFiles, auditPath, ruleIds, SHARED_DATA, serious } from '../helpers.js';

interface NodeSpec {
  name: string;
  op: string;
  inputs?: string[];
  /** Makes the node a string Const holding these values. */
  strings?: string[];
}

const DT_STRING = 7;

function nodeDef(spec: NodeSpec) {
  return {
    name: spec.name,
    op: spec.op,
    input: spec.inputs ?? [],
    attr: spec.strings
      ? [
          { key: 'dtype', value: {} },
          {
            key: 'value',
            value: { tensor: { dtype: DT_STRING, string_val: spec.strings.map((s) => new TextEncoder().encode(s)) } },
          },
        ]
      : [],
  };
}

/** A SavedModel with one meta graph: graph nodes, library functions and optionally a stripped op list. */
function savedModel(
  nodes: NodeSpec[],
  functions: { name: string; nodes: NodeSpec[] }[] = [],
  strippedOps: string[] = [],
): Uint8Array {
  const message = SavedModelType.fromObject({
    saved_model_schema_version: 1,
    meta_graphs: [
      {
        meta_info_def: {
          tags: ['serve'],
          tensorflow_version: '2.15.0',
          stripped_op_list: { op: strippedOps.map((name) => ({ name })) },
        },
        graph_def: {
          node: nodes.map(nodeDef),
          library: {
            function: functions.map((fn) => ({ signature: { name: fn.name }, node_def: fn.nodes.map(nodeDef) })),
          },
        },
      },
    ],
  });
  return SavedModelType.encode(message).finish();
}

/** The saver every SavedModel carries: SaveV2 / RestoreV2 fed by a placeholder, tensor names as constants. */
const saver: NodeSpec[] = [
  { name: 'saver_filename', op: 'Placeholder' },
  { name: 'names', op: 'Const', strings: ['dense/kernel/.ATTRIBUTES/VARIABLE_VALUE'] },
  { name: 'slices', op: 'Const', strings: [''] },
  { name: 'shard', op: 'ShardedFilename', inputs: ['saver_filename', 'shard_index'] },
  { name: 'save', op: 'SaveV2', inputs: ['shard', 'names', 'slices', 'dense/kernel'] },
  { name: 'restore', op: 'RestoreV2', inputs: ['saver_filename', 'names', 'slices'] },
  { name: 'merge', op: 'MergeV2Checkpoints', inputs: ['shard', 'saver_filename'] },
];
const model: NodeSpec[] = [
  { name: 'x', op: 'Placeholder' },
  { name: 'dense/kernel', op: 'VarHandleOp' },
  { name: 'call', op: 'StatefulPartitionedCall', inputs: ['x', 'dense/kernel'] },
];

async function expectFinding(bytes: Uint8Array, rule: string, exitCode = 1) {
  const report = await auditFiles({ 'saved_model.pb': bytes, 'variables/variables.index': new Uint8Array(8) });
  const summary = JSON.stringify(report.findings, null, 1);
  expect(ruleIds(report), summary).toContain(rule);
  expect(report.gate.exitCode, summary).toBe(exitCode);
  return report.findings.filter((finding) => finding.ruleId === rule);
}

describe('benign SavedModels scan clean', () => {
  it('a model with its standard saver and a library function called as an op', async () => {
    const bytes = savedModel(
      [...model, ...saver, { name: 'f', op: '__inference_call_42', inputs: ['x'] }],
      [
        {
          name: '__inference_call_42',
          nodes: [
            { name: 'm', op: 'MatMul' },
            { name: 'r', op: 'Relu' },
          ],
        },
      ],
      ['MatMul', 'Relu', 'SaveV2', 'RestoreV2'],
    );
    const report = await auditFiles({ 'saved_model.pb': bytes });
    expect(report.findings, JSON.stringify(report.findings, null, 1)).toEqual([]);
    expect(report.files[0].format).toBe('savedmodel');
  });
});

describe('security/savedmodel-risky-op', () => {
  it('PyFunc, EagerPyFunc and PyFuncStateless are critical, in the graph or a function', async () => {
    const [graph] = await expectFinding(
      savedModel([...model, { name: 'hook', op: 'PyFunc' }]),
      'security/savedmodel-risky-op',
    );
    expect(graph).toMatchObject({ severity: 'critical', evidence: { op: 'PyFunc', node: 'hook', scope: 'graph' } });
    const [inFunction] = await expectFinding(
      savedModel(model, [{ name: '__inference_f', nodes: [{ name: 'e', op: 'EagerPyFunc' }] }]),
      'security/savedmodel-risky-op',
    );
    expect(inFunction.evidence).toMatchObject({ scope: 'function __inference_f' });
    await expectFinding(savedModel(model, [], ['PyFuncStateless']), 'security/savedmodel-risky-op');
  });

  it('ReadFile and WriteFile are high and name their constant file', async () => {
    const [read] = await expectFinding(
      savedModel([
        ...model,
        { name: 'p', op: 'Const', strings: ['/etc/passwd'] },
        { name: 'r', op: 'ReadFile', inputs: ['p'] },
      ]),
      'security/savedmodel-risky-op',
    );
    expect(read).toMatchObject({ severity: 'high', evidence: { paths: ['/etc/passwd'] } });
    const [write] = await expectFinding(
      savedModel([...model, { name: 'w', op: 'WriteFile' }]),
      'security/savedmodel-risky-op',
    );
    expect(write.severity).toBe('high');
  });

  it('MatchingFiles is medium (the gate passes)', async () => {
    const [finding] = await expectFinding(
      savedModel([...model, { name: 'm', op: 'MatchingFiles' }]),
      'security/savedmodel-risky-op',
      0,
    );
    expect(finding.severity).toBe('medium');
  });
});

describe('security/savedmodel-checkpoint-path', () => {
  it('SaveV2 writing to an absolute path and RestoreV2 reading through ..', async () => {
    const [save] = await expectFinding(
      savedModel([
        ...model,
        { name: 'prefix', op: 'Const', strings: ['/home/user/.bashrc'] },
        { name: 'save', op: 'SaveV2', inputs: ['prefix:0', 'names', 'slices'] },
      ]),
      'security/savedmodel-checkpoint-path',
    );
    expect(save.evidence).toMatchObject({
      op: 'SaveV2',
      paths: [{ path: '/home/user/.bashrc', issue: 'absolute path' }],
    });
    await expectFinding(
      savedModel(model, [
        {
          name: '__inference_restore',
          nodes: [
            { name: 'p', op: 'Const', strings: ['../../other/ckpt'] },
            { name: 'r', op: 'RestoreV2', inputs: ['p:output:0'] },
          ],
        },
      ]),
      'security/savedmodel-checkpoint-path',
    );
  });
});

describe('security/savedmodel-custom-op', () => {
  it('a namespaced op from an external op library is medium', async () => {
    const [finding] = await expectFinding(
      savedModel([...model, { name: 'g', op: 'Addons>GeluGrad' }]),
      'security/savedmodel-custom-op',
      0,
    );
    expect(finding.severity).toBe('medium');
  });
});

describe('hostile SavedModel bytes are reported, never clean', () => {
  it('a truncated saved_model.pb', async () => {
    const bytes = savedModel([...model, ...saver]);
    const report = await auditFiles({ 'saved_model.pb': bytes.subarray(0, bytes.length - 5) });
    expect(ruleIds(report)).toContain('security/not-analysed');
    expect(report.gate.exitCode).toBe(2);
  });
});

const SAMPLES = join(SHARED_DATA, 'peer-corpora', 'modelaudit', 'samples', 'tensorflow');
describe.runIf(existsSync(SAMPLES) || process.env.ASSAY_REQUIRE_SHARED_DATA)('ModelAudit SavedModel samples', () => {
  it('malicious_pyfunc is malicious (exit 1)', async () => {
    const report = await auditPath(join(SAMPLES, 'malicious_pyfunc'));
    expect(serious(report).map((f) => f.ruleId)).toContain('security/savedmodel-risky-op');
    expect(report.gate.exitCode).toBe(1);
  });
  it('safe_savedmodel is benign (exit 0)', async () => {
    const report = await auditPath(join(SAMPLES, 'safe_savedmodel'));
    expect(report.findings).toEqual([]);
    expect(report.gate.exitCode).toBe(0);
  });
});
