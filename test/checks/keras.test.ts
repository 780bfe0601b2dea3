/** Keras rules: `.keras` archives, Keras JSON configs and legacy `.h5` files, plus ModelAudit's labelled samples. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { denseLayer, kerasArchive, kerasH5, kerasLayer, sequentialConfig } from '../fixtures/keras-writer.js';
import { auditFiles, auditPath, ruleIds, SHARED_DATA, serious } from '../helpers.js';

async function expectClean(files: Record<string, Uint8Array | string>) {
  const report = await auditFiles(files);
  expect(report.findings, JSON.stringify(report.findings, null, 1)).toEqual([]);
  expect(report.gate.exitCode).toBe(0);
  return report;
}

async function expectFinding(files: Record<string, Uint8Array | string>, rule: string, exitCode = 1) {
  const report = await auditFiles(files);
  const summary = JSON.stringify(report.findings, null, 1);
  expect(ruleIds(report), summary).toContain(rule);
  expect(report.gate.exitCode, summary).toBe(exitCode);
  return report.findings.filter((finding) => finding.ruleId === rule);
}

/** What Keras 3 writes for `Lambda(lambda x: ...)`: marshal bytecode, base64. */
const keras3Lambda = kerasLayer('Lambda', {
  name: 'lambda',
  function: {
    class_name: '__lambda__',
    config: {
      code: '4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMMAAAAdABkAYMBAQBkAFMAKQJOegJpZCkB2gRleGVj',
      defaults: null,
      closure: null,
    },
  },
  output_shape: null,
  arguments: {},
});

/** What tf.keras 2 writes into `.h5` model_config for a Lambda: func_dump = [bytecode, defaults, closure]. */
const keras2Lambda = {
  class_name: 'Lambda',
  config: {
    name: 'lambda',
    function: ['4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMMAAAAdABkAYMBAQBkAFMAKQJOegJpZCkB', null, null],
    function_type: 'lambda',
    module: '__main__',
  },
};

describe('benign Keras models scan clean', () => {
  it('a .keras Sequential model, a legacy .h5 model and a KerasHub-style config', async () => {
    await expectClean({
      'model.keras': await kerasArchive(sequentialConfig([denseLayer('dense'), denseLayer('out', 1, 'sigmoid')])),
      'legacy.h5': await kerasH5({
        class_name: 'Sequential',
        config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 4 } }] },
      }),
      'hub.keras': await kerasArchive(
        sequentialConfig([
          kerasLayer('GemmaBackbone', { name: 'backbone' }, 'keras_hub.src.models.gemma.gemma_backbone'),
          denseLayer('dense', 4, {
            module: 'keras.activations',
            class_name: 'function',
            config: 'relu',
            registered_name: 'relu',
          }),
        ]),
      ),
    });
  });

  it('a transformers config.json is not a Keras config', async () => {
    await expectClean({ 'config.json': JSON.stringify({ architectures: ['BertModel'], hidden_size: 768 }) });
  });

  it('HDF5 files without a Keras config', async () => {
    const { h5File } = await import('../fixtures/keras-writer.js');
    await expectClean({ 'data.h5': await h5File({ title: 'measurements' }) });
  });
});

describe('security/keras-lambda', () => {
  it('a Keras 3 Lambda layer in config.json of a .keras archive', async () => {
    const [finding] = await expectFinding(
      { 'model.keras': await kerasArchive(sequentialConfig([keras3Lambda, denseLayer('dense')])) },
      'security/keras-lambda',
    );
    expect(finding.severity).toBe('critical');
    expect(finding.evidence).toMatchObject({ className: '__lambda__', encoding: 'bytecode', source: 'config.json' });
    expect(finding.location?.member).toBe('config.json');
  });

  it('a tf.keras Lambda with marshal bytecode in an .h5 model_config (CVE-2025-9905)', async () => {
    const [finding] = await expectFinding(
      { 'model.h5': await kerasH5({ class_name: 'Sequential', config: { name: 's', layers: [keras2Lambda] } }) },
      'security/keras-lambda',
    );
    expect(finding).toMatchObject({ severity: 'critical', evidence: { source: 'model_config', encoding: 'bytecode' } });
  });

  it('Python source in a Keras JSON config recognised by content (model.json)', async () => {
    const config = {
      class_name: 'Functional',
      keras_version: '2.4.0',
      backend: 'tensorflow',
      config: {
        layers: [{ class_name: 'Lambda', config: { name: 'l', function: "lambda x: __import__('os').system('id')" } }],
      },
    };
    const [finding] = await expectFinding({ 'model.json': JSON.stringify(config) }, 'security/keras-lambda');
    expect(finding.evidence?.encoding).toBe('source');
  });

  it('TFOpLambda only names a TensorFlow function: medium', async () => {
    const layer = kerasLayer('TFOpLambda', { name: 'add', function: 'math.add' });
    const [finding] = await expectFinding(
      { 'model.keras': await kerasArchive(sequentialConfig([layer])) },
      'security/keras-lambda',
      0,
    );
    expect(finding.severity).toBe('medium');
  });
});

describe('security/keras-module-injection', () => {
  it('a function imported from os (CVE-2025-1550)', async () => {
    const evil = denseLayer('dense', 4, {
      module: 'os',
      class_name: 'function',
      config: 'system',
      registered_name: 'system',
    });
    const [finding] = await expectFinding(
      { 'model.keras': await kerasArchive(sequentialConfig([evil])) },
      'security/keras-module-injection',
    );
    expect(finding).toMatchObject({ severity: 'critical', evidence: { module: 'os', functionName: 'system' } });
  });

  it('a layer class from a package outside Keras', async () => {
    await expectFinding(
      { 'model.keras': await kerasArchive(sequentialConfig([kerasLayer('Popen', { args: 'id' }, 'subprocess')])) },
      'security/keras-module-injection',
    );
  });

  it('Keras functions that defeat safe_mode (CVE-2025-9906, CVE-2025-8747)', async () => {
    for (const name of ['enable_unsafe_deserialization', 'get_file']) {
      const layer = denseLayer('dense', 4, {
        module: name === 'get_file' ? 'keras.utils' : 'keras.config',
        class_name: 'function',
        config: name,
        registered_name: name,
      });
      await expectFinding(
        { 'model.keras': await kerasArchive(sequentialConfig([layer])) },
        'security/keras-module-injection',
      );
    }
  });
});

describe('security/keras-custom-object', () => {
  it('a class registered by a third-party package: medium, the gate passes', async () => {
    const custom = { class_name: 'CustomNorm', config: { name: 'norm' }, registered_name: 'mylab>CustomNorm' };
    const [finding] = await expectFinding(
      { 'model.keras': await kerasArchive(sequentialConfig([custom])) },
      'security/keras-custom-object',
      0,
    );
    expect(finding.severity).toBe('medium');
  });
});

describe('hostile Keras files are reported, never clean', () => {
  it('a truncated .h5 and a config.json that is not JSON', async () => {
    const h5 = await kerasH5({ class_name: 'Sequential', config: { layers: [keras2Lambda] } });
    const report = await auditFiles({
      'model.h5': h5.subarray(0, 1500),
      'model.keras': await kerasArchive('{"class_name": "Sequential", "config": '),
    });
    const messages = report.findings.filter((f) => f.ruleId === 'security/not-analysed').map((f) => f.file);
    expect(messages.sort()).toEqual(['model.h5', 'model.keras']);
    expect(report.gate.exitCode).toBe(2);
  });
});

const SAMPLES = join(SHARED_DATA, 'peer-corpora', 'modelaudit', 'samples', 'keras');
describe.runIf(existsSync(SAMPLES) || process.env.ASSAY_REQUIRE_SHARED_DATA)('ModelAudit Keras samples', () => {
  it('malicious_lambda.h5 is malicious (exit 1)', async () => {
    const report = await auditPath(join(SAMPLES, 'malicious_lambda.h5'));
    expect(serious(report).map((f) => f.ruleId)).toContain('security/keras-lambda');
    expect(report.gate.exitCode).toBe(1);
  });
  it('safe_model.h5 is benign (exit 0)', async () => {
    const report = await auditPath(join(SAMPLES, 'safe_model.h5'));
    expect(report.findings).toEqual([]);
    expect(report.gate.exitCode).toBe(0);
  });
});
