/** Dependency discovery from each file type, and the supply-chain rules end to end. */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { DEFAULT_LIMITS } from '../../src/formats/analyse.js';
import { dependencyInspector } from '../../src/formats/dependencies.js';
import type { Fact } from '../../src/formats/facts.js';
import { auditFiles, SHARED_DATA, tempFolder } from '../helpers.js';

function discover(name: string, text: string, format: 'text' | 'json' = 'text') {
  const facts: Fact[] = [];
  const input = { file: name, name, format, limits: DEFAULT_LIMITS } as const;
  expect(dependencyInspector.accepts(input)).toBe(true);
  dependencyInspector.inspect({ ...input, text, facts });
  return facts;
}

const brief = (facts: Fact[]) =>
  facts.map((fact) =>
    fact.kind === 'dependency'
      ? `${fact.name} ${fact.specifier || '*'}${fact.pinnedVersion ? ` pin=${fact.pinnedVersion}` : ''} @${fact.line}`
      : fact.kind === 'dependency-include'
        ? `include ${fact.path}`
        : fact.kind,
  );

describe('discovery', () => {
  it('reads requirements files: includes, markers, extras, URLs, hashes, continuations', () => {
    const facts = discover(
      'requirements-gpu.txt',
      [
        '-r base.txt',
        '--index-url https://download.pytorch.org/whl/cu121',
        'torch==2.5.1+cu121 \\',
        '    --hash=sha256:aaaa --hash=sha256:bbbb',
        'Transformers[torch,sentencepiece] >=4.30, <4.40 ; python_version >= "3.9"  # pinned later',
        'safetensors @ https://example.com/safetensors-0.4.0.tar.gz',
        'git+https://github.com/huggingface/peft.git#egg=peft',
        '-e git+https://github.com/org/thing.git#egg=Some_Thing',
        '# a comment',
        'numpy',
      ].join('\n'),
    );
    expect(brief(facts)).toEqual([
      'include base.txt',
      'torch ==2.5.1+cu121 pin=2.5.1+cu121 @3',
      'transformers >=4.30,<4.40 @5',
      'safetensors * @6',
      'peft * @7',
      'some-thing * @8',
      'numpy * @10',
    ]);
    const torch = facts[1];
    expect(torch?.kind === 'dependency' && torch.hashes).toBe(2);
    const transformers = facts[2];
    expect(transformers?.kind === 'dependency' && [transformers.extras, transformers.marker]).toEqual([
      ['torch', 'sentencepiece'],
      'python_version >= "3.9"',
    ]);
    expect(facts[3]?.kind === 'dependency' && facts[3].url).toBe('https://example.com/safetensors-0.4.0.tar.gz');
  });

  it('reads pyproject.toml: PEP 621 and Poetry', () => {
    const facts = discover(
      'pyproject.toml',
      [
        '[project]',
        'name = "m"',
        'dependencies = ["torch==1.13.0", "accelerate>=0.20"]',
        '[project.optional-dependencies]',
        'serve = ["fastapi"]',
        '[tool.poetry.dependencies]',
        'python = "^3.10"',
        'transformers = "^4.30.0"',
        'tokenizers = "0.15.0"',
        'sentencepiece = { version = "~0.1.99", optional = true }',
        '[tool.poetry.group.dev.dependencies]',
        'pytest = "*"',
      ].join('\n'),
    );
    expect(brief(facts)).toEqual([
      'torch ==1.13.0 pin=1.13.0 @3',
      'accelerate >=0.20 @3',
      'fastapi * @5',
      'transformers >=4.30.0,<5 @8',
      'tokenizers ==0.15.0 pin=0.15.0 @9',
      'sentencepiece >=0.1.99,<0.2 @10',
      'pytest * @12',
    ]);
  });

  it('reads setup.cfg install_requires and extras', () => {
    const facts = discover(
      'setup.cfg',
      [
        '[metadata]',
        'name = m',
        '[options]',
        'install_requires =',
        '    torch>=1.10',
        '    PyYAML==5.3.1',
        'python_requires = >=3.8',
        '[options.extras_require]',
        'dev = pytest',
      ].join('\n'),
    );
    expect(brief(facts)).toEqual(['torch >=1.10 @5', 'pyyaml ==5.3.1 pin=5.3.1 @6', 'pytest * @9']);
  });

  it('reads the pip section of environment.yml only', () => {
    const facts = discover(
      'environment.yml',
      [
        'name: m',
        'dependencies:',
        '  - python=3.10',
        '  - numpy=1.21',
        '  - pip:',
        '    - transformers==4.35.2',
        '    - --extra-index-url x',
      ].join('\n'),
    );
    expect(brief(facts)).toEqual(['transformers ==4.35.2 pin=4.35.2 @6']);
  });

  it('reads Pipfile.lock', () => {
    const lock = {
      _meta: {},
      default: { torch: { version: '==1.12.1', hashes: ['sha256:x'], markers: "python_version >= '3.7'" } },
      develop: { pytest: { version: '==8.0.0' } },
    };
    const facts = discover('Pipfile.lock', JSON.stringify(lock, null, 2), 'json');
    expect(brief(facts)).toEqual(['torch ==1.12.1 pin=1.12.1 @4', 'pytest ==8.0.0 pin=8.0.0 @13']);
  });

  it('reads config.json transformers_version as the version the model was saved with', () => {
    const facts = discover('config.json', '{\n  "model_type": "bert",\n  "transformers_version": "4.35.2"\n}', 'json');
    expect(brief(facts)).toEqual(['transformers ==4.35.2 pin=4.35.2 @3']);
    expect(facts[0]?.kind === 'dependency' && facts[0].savedWith).toBe(true);
  });
});

describe('end to end', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const supplyChain = (findings: Finding[]) => findings.filter((finding) => finding.ruleId.startsWith('supply-chain/'));

  it('reports a vulnerable pin as a supply-chain finding naming the advisory and its aliases', async () => {
    vi.stubEnv('ASSAY_OSV_DB', join(SHARED_DATA, 'osv', 'PyPI'));
    const report = await auditFiles({
      'requirements.txt': 'torch==1.13.0\ntransformers==4.35.2\naccelerate>=0.20\ntransformers>=4.30,<4.40\n',
    });
    const findings = supplyChain(report.findings);
    const vulnerable = findings.filter((finding) => finding.ruleId === 'supply-chain/vulnerable-dependency');
    expect(
      vulnerable.map((finding) => [finding.location?.line, finding.severity, finding.message.split(':')[0]]),
    ).toEqual(
      expect.arrayContaining([
        [1, 'high', 'torch==1.13.0 is affected by PYSEC-2022-43015 (CVE-2022-45907)'],
        [2, 'high', 'transformers==4.35.2 is affected by GHSA-v68g-wm8c-6x7j (CVE-2023-7018)'],
        // The record states LOW in database_specific.
        [2, 'low', 'transformers==4.35.2 is affected by GHSA-37q5-v5qm-c9v8 (CVE-2024-3568)'],
      ]),
    );
    expect(vulnerable).toHaveLength(3);
    expect(vulnerable[0]?.pillar).toBe('supply-chain');
    expect(vulnerable.flatMap((finding) => finding.references.map((reference) => reference.id))).toContain(
      'CVE-2022-45907',
    );
    const unpinned = findings.filter((finding) => finding.ruleId === 'supply-chain/unpinned-dependency');
    expect(unpinned.map((finding) => [finding.severity, finding.message])).toEqual(
      expect.arrayContaining([
        ['info', 'accelerate is not pinned: it allows >=0.20'],
        [
          'low',
          'unpinned: transformers allows >=4.30,<4.40, and these advisories affect part of the allowed range: GHSA-37q5-v5qm-c9v8 (CVE-2024-3568) affects >=4.30, <4.38.0; GHSA-v68g-wm8c-6x7j (CVE-2023-7018) affects >=4.30, <4.36.0',
        ],
      ]),
    );
  });

  it('without ASSAY_OSV_DB or a local cache reports no vulnerability, only the unpinned declarations', async () => {
    vi.stubEnv('ASSAY_OSV_DB', '');
    vi.stubEnv('ASSAY_HOME', await tempFolder({}));
    const report = await auditFiles({ 'requirements.txt': 'torch==1.13.0\nnumpy\n' });
    expect(supplyChain(report.findings).map((finding) => [finding.ruleId, finding.message])).toEqual([
      ['supply-chain/unpinned-dependency', 'numpy is not pinned: it allows any version'],
    ]);
  });

  it('an unreadable database is a finding, never silently clean', async () => {
    vi.stubEnv('ASSAY_OSV_DB', join(SHARED_DATA, 'osv', 'no-such-folder'));
    const report = await auditFiles({ 'requirements.txt': 'torch==1.13.0\n' });
    const [finding] = supplyChain(report.findings);
    expect(finding?.message).toMatch(/could not be loaded.*1 dependencies were not checked/);
  });
});
