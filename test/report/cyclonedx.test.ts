import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Report } from '../../src/core/report.js';
import { bomSerialNumber, renderCycloneDx, uuidV5, vulnerabilityId } from '../../src/report/cyclonedx.js';
import { auditPath, PROJECT_ROOT, tempFolder } from '../helpers.js';
import { cleanReport, hostileReport, SAMPLE_RULES, sampleReport } from './sample-report.js';

interface Bom {
  serialNumber: string;
  metadata: {
    timestamp?: string;
    tools: { components: { name: string; version: string }[] };
    component: {
      type: string;
      name: string;
      'bom-ref': string;
      hashes?: { alg: string; content: string }[];
      modelCard?: {
        considerations?: { ethicalConsiderations?: { name: string }[]; technicalLimitations?: string[] };
        properties?: { name: string; value: string }[];
      };
    };
  };
  components: {
    type: string;
    name: string;
    'bom-ref': string;
    hashes: { alg: string; content: string }[];
    properties: { name: string; value: string }[];
    data?: unknown;
    externalReferences?: { url: string }[];
    purl?: string;
    version?: string;
    scope?: string;
  }[];
  vulnerabilities?: {
    id: string;
    source: { name: string };
    ratings: { severity: string }[];
    description: string;
    affects: { ref: string }[];
    analysis?: { detail: string };
  }[];
}

async function expectStrictlyValid(json: string): Promise<void> {
  const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json);
  expect(error).toBeNull();
}

function checkAgainstReport(bom: Bom, report: Report): void {
  expect(bom.components).toHaveLength(report.files.length);
  for (const file of report.files) {
    const component = bom.components.find((candidate) => candidate.name === file.path);
    expect(component, file.path).toBeDefined();
    expect(component?.hashes).toEqual([{ alg: 'SHA-256', content: file.sha256 }]);
    expect(component?.properties).toContainEqual({ name: 'assay:format', value: file.format });
  }
  const vulnerabilities = bom.vulnerabilities ?? [];
  expect(vulnerabilities).toHaveLength(report.findings.length);
  for (const finding of report.findings) {
    const entry = vulnerabilities.find((candidate) => candidate.id === vulnerabilityId(finding));
    expect(entry, finding.ruleId).toBeDefined();
    expect(entry?.source.name).toBe('assay');
    expect(entry?.ratings).toEqual([expect.objectContaining({ severity: finding.severity })]);
    expect(entry?.description).toBe(finding.message);
    const ref = finding.file === undefined ? 'assay:model' : `assay:file:${finding.file}`;
    expect(entry?.affects).toEqual([{ ref }]);
  }
}

describe('CycloneDX renderer', () => {
  it('renders sample reports that pass the strict CycloneDX 1.6 JSON validator', async () => {
    for (const report of [sampleReport(), cleanReport(), hostileReport()]) {
      await expectStrictlyValid(renderCycloneDx(report, SAMPLE_RULES));
    }
  });

  it('uses a validator that does reject an invalid model card', async () => {
    const bom = JSON.parse(renderCycloneDx(sampleReport(), SAMPLE_RULES)) as Bom;
    (bom.metadata.component.modelCard as Record<string, unknown>).formats = ['pickle'];
    const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(bom));
    expect(error).not.toBeNull();
  });

  it('describes the model, its files and its findings as the report does', () => {
    const report = sampleReport();
    const bom = JSON.parse(renderCycloneDx(report, SAMPLE_RULES)) as Bom;
    expect(bom.metadata.timestamp).toBe(report.finishedAt);
    expect(bom.metadata.tools.components).toEqual([expect.objectContaining({ name: 'assay', version: '0.1.0' })]);
    expect(bom.metadata.component).toMatchObject({ type: 'machine-learning-model', name: 'bert-tiny' });
    expect(bom.metadata.component.hashes).toBeUndefined();
    checkAgainstReport(bom, report);
    const model = (bom as unknown as { dependencies: { ref: string; dependsOn?: string[] }[] }).dependencies.find(
      (entry) => entry.ref === 'assay:model',
    );
    expect(model?.dependsOn).toEqual(bom.components.map((component) => component['bom-ref']).sort());

    const card = bom.metadata.component.modelCard;
    expect(card?.properties?.map((property) => property.value)).toEqual([
      'gzip',
      'json',
      'pickle',
      'pytorch-zip',
      'safetensors',
    ]);
    // Unsuppressed security findings only; the licence finding is compliance, the optimizer one is suppressed.
    expect(card?.considerations?.ethicalConsiderations?.map((risk) => risk.name).sort()).toEqual([
      'Pickle imports a dangerous global',
      'Pickle imports a global that is on neither list',
      'String constant looks like a code-execution payload',
    ]);
    expect(card?.considerations?.technicalLimitations).toEqual([
      expect.stringContaining('weights.tar.gz: Could not be parsed'),
    ]);
    const suppressed = bom.vulnerabilities?.filter((entry) => entry.analysis !== undefined) ?? [];
    expect(suppressed.map((entry) => entry.analysis?.detail)).toEqual(['Our own optimizer class, reviewed in SEC-142']);
  });

  it('gives a single-file target the file hash, and omits the card when there is nothing to say', async () => {
    const file = { path: 'model.safetensors', size: 8, sha256: 'ab'.repeat(32), format: 'safetensors' };
    const report: Report = { ...cleanReport(), target: { kind: 'file', path: '/m/model.safetensors' }, files: [file] };
    const json = renderCycloneDx(report, SAMPLE_RULES);
    await expectStrictlyValid(json);
    const bom = JSON.parse(json) as Bom;
    expect(bom.metadata.component.name).toBe('model.safetensors');
    expect(bom.metadata.component.hashes).toEqual([{ alg: 'SHA-256', content: file.sha256 }]);
    expect(bom.metadata.component.modelCard?.considerations).toBeUndefined();
    expect(bom.vulnerabilities ?? []).toEqual([]);
    await expectStrictlyValid(renderCycloneDx({ ...report, files: [] }, SAMPLE_RULES));
  });

  it('is deterministic, with a serial number derived from the target and the files', () => {
    const first = renderCycloneDx(sampleReport(), SAMPLE_RULES);
    expect(renderCycloneDx(structuredClone(sampleReport()), SAMPLE_RULES)).toBe(first);
    const serial = (JSON.parse(first) as Bom).serialNumber;
    expect(serial).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Later audit, same bytes: same serial. Changed bytes or another target: a new serial.
    expect(bomSerialNumber({ ...sampleReport(), finishedAt: '2026-01-01T00:00:00.000Z' })).toBe(serial);
    const changed = sampleReport();
    changed.files[0] = { ...(changed.files[0] as Report['files'][number]), sha256: 'f'.repeat(64) };
    expect(bomSerialNumber(changed)).not.toBe(serial);
    expect(bomSerialNumber({ ...sampleReport(), target: { kind: 'directory', path: 'other' } })).not.toBe(serial);
  });

  it('computes RFC 4122 version 5 UUIDs', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('renders a real audit of examples/malicious-model as a valid ML-BOM with its findings', async () => {
    const report = await auditPath(join(PROJECT_ROOT, 'examples', 'malicious-model'));
    expect(report.findings.length).toBeGreaterThan(0);
    const json = renderCycloneDx(report, SAMPLE_RULES);
    await expectStrictlyValid(json);
    const bom = JSON.parse(json) as Bom;
    expect(bom.metadata.component).toMatchObject({ type: 'machine-learning-model', name: 'malicious-model' });
    checkAgainstReport(bom, report);
    expect(bom.vulnerabilities?.some((entry) => entry.ratings[0]?.severity === 'critical')).toBe(true);
  });

  it('carries the card: licence, datasets as data components referenced from the model card, task', async () => {
    const folder = await tempFolder({
      'README.md': [
        '---',
        'license: apache-2.0',
        'datasets: [HuggingFaceH4/ultrachat_200k, wikipedia]',
        'base_model: [org/base-a, org/base-b]',
        'pipeline_tag: text-generation',
        '---',
        '# Tiny',
      ].join('\n'),
      'config.json': '{"model_type": "gpt2"}',
    });
    const report = await audit(folder, {
      policy: DEFAULT_POLICY,
      ...auditPlan('audit'),
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    });
    const json = renderCycloneDx(report, SAMPLE_RULES);
    await expectStrictlyValid(json);
    const bom = JSON.parse(json) as Bom;
    // Declared by the card; concluded by the compliance analysis, which identified the same licence.
    expect((bom.metadata.component as { licenses?: unknown }).licenses).toEqual([
      { license: { id: 'Apache-2.0', acknowledgement: 'declared' } },
      { license: { id: 'Apache-2.0', acknowledgement: 'concluded' } },
    ]);
    const datasets = bom.components.filter((component) => component.type === 'data');
    expect(datasets.map((component) => component['bom-ref'])).toEqual([
      'assay:dataset:HuggingFaceH4/ultrachat_200k',
      'assay:dataset:wikipedia',
    ]);
    expect(datasets[0]?.data).toEqual([{ type: 'dataset', name: 'HuggingFaceH4/ultrachat_200k' }]);
    expect(datasets[0]?.externalReferences?.[0]?.url).toBe(
      'https://huggingface.co/datasets/HuggingFaceH4/ultrachat_200k',
    );
    expect((bom.metadata.component as { pedigree?: unknown }).pedigree).toEqual({
      ancestors: [
        {
          type: 'machine-learning-model',
          'bom-ref': 'assay:base-model:org/base-a',
          name: 'org/base-a',
          externalReferences: [{ type: 'website', url: 'https://huggingface.co/org/base-a' }],
        },
        expect.objectContaining({ name: 'org/base-b' }),
      ],
    });
    const card = bom.metadata.component.modelCard as { modelParameters?: unknown };
    expect(card.modelParameters).toEqual({
      task: 'text-generation',
      datasets: [{ ref: 'assay:dataset:HuggingFaceH4/ultrachat_200k' }, { ref: 'assay:dataset:wikipedia' }],
    });
  });

  it('names a licence SPDX does not know, and lists declared dependencies by purl', async () => {
    const report: Report = {
      ...sampleReport(),
      model: {
        card: { file: 'README.md', status: 'read' },
        license: 'other',
        licenseName: 'llama3',
        licenseLink: 'LICENSE',
        baseModels: [],
        datasets: [],
        languages: [],
        tags: [],
      },
      dependencies: {
        dependencies: [
          {
            ecosystem: 'PyPI',
            name: 'torch',
            specifier: '==2.5.1',
            version: '2.5.1',
            pinned: true,
            purl: 'pkg:pypi/torch@2.5.1',
            scope: 'runtime',
            file: 'requirements.txt',
            line: 1,
            foundBy: 'requirements',
            advisories: [],
          },
          {
            ecosystem: 'PyPI',
            name: 'transformers',
            specifier: '>=4.30',
            pinned: false,
            purl: 'pkg:pypi/transformers',
            scope: 'runtime',
            file: 'requirements.txt',
            line: 2,
            foundBy: 'requirements',
            advisories: [],
          },
          {
            ecosystem: 'PyPI',
            name: 'transformers',
            specifier: '',
            pinned: false,
            purl: 'pkg:pypi/transformers',
            scope: 'runtime',
            file: 'README.md',
            foundBy: 'model-card',
            advisories: [],
          },
          {
            ecosystem: 'npm',
            name: '@huggingface/transformers',
            specifier: '3.0.0',
            version: '3.0.0',
            pinned: true,
            purl: 'pkg:npm/%40huggingface/transformers@3.0.0',
            scope: 'dev',
            file: 'package.json',
            foundBy: 'package.json',
            advisories: [],
          },
        ],
      },
    };
    const json = renderCycloneDx(report, SAMPLE_RULES);
    await expectStrictlyValid(json);
    const bom = JSON.parse(json) as Bom & {
      dependencies: { ref: string; dependsOn?: string[] }[];
    };
    expect((bom.metadata.component as { licenses?: unknown }).licenses).toEqual([
      {
        license: {
          name: 'llama3',
          acknowledgement: 'declared',
          properties: [
            { name: 'assay:license', value: 'other' },
            { name: 'assay:license-link', value: 'LICENSE' },
          ],
        },
      },
    ]);
    const libraries = bom.components.filter((component) => component.type === 'library');
    expect(libraries.map(({ name, purl, version, scope }) => ({ name, purl, version, scope }))).toEqual([
      {
        name: '@huggingface/transformers',
        purl: 'pkg:npm/%40huggingface/transformers@3.0.0',
        version: '3.0.0',
        scope: 'excluded',
      },
      { name: 'torch', purl: 'pkg:pypi/torch@2.5.1', version: '2.5.1', scope: 'required' },
      { name: 'transformers', purl: 'pkg:pypi/transformers', version: undefined, scope: 'required' },
    ]);
    const transformers = libraries.find((component) => component.name === 'transformers');
    expect(transformers?.properties).toContainEqual({ name: 'assay:declared-in', value: 'README.md' });
    expect(transformers?.properties).toContainEqual({ name: 'assay:specifier', value: '>=4.30' });
    const model = bom.dependencies.find((entry) => entry.ref === 'assay:model');
    expect(model?.dependsOn).toContain('assay:dependency:pkg:pypi/torch@2.5.1');
  });

  it('identifies a pinned Hub model by its repo id, commit and purl', async () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const report: Report = { ...cleanReport(), target: { kind: 'directory', path: `hf://org/Tiny-Model@${commit}` } };
    const json = renderCycloneDx(report, SAMPLE_RULES);
    await expectStrictlyValid(json);
    expect((JSON.parse(json) as Bom).metadata.component).toMatchObject({
      name: 'org/Tiny-Model',
      version: commit,
      purl: `pkg:huggingface/org/Tiny-Model@${commit}`,
    });
    const branch = JSON.parse(
      renderCycloneDx({ ...report, target: { ...report.target, path: 'hf://org/Tiny-Model@main' } }, SAMPLE_RULES),
    ) as Bom;
    expect(branch.metadata.component).toMatchObject({ name: 'org/Tiny-Model' });
    expect((branch.metadata.component as { purl?: string }).purl).toBeUndefined();
  });
});
