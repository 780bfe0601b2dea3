/** Dependencies implied by shipped Python imports and by the card's library_name: mapped, deduplicated, low severity. */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { importDependencies } from '../../src/formats/python-imports.js';
import { SHARED_DATA, tempFolder } from '../helpers.js';

describe('imports → distributions', () => {
  it('maps import names to PyPI distributions, skips the standard library and bare namespaces', () => {
    const facts = importDependencies(
      new Map([
        ['os', 1],
        ['_thread', 1],
        ['sklearn', 2],
        ['cv2', 3],
        ['PIL', 4],
        ['yaml', 5],
        ['google.protobuf', 6],
        ['google', 7],
        ['torch', 9],
        ['torch.nn', 8],
        ['sentence_transformers', 10],
      ]),
    );
    expect(
      facts.map((fact) => fact.kind === 'dependency' && [fact.name, fact.line, fact.modules, fact.specifier]),
    ).toEqual([
      ['scikit-learn', 2, ['sklearn'], ''],
      ['opencv-python', 3, ['cv2'], ''],
      ['pillow', 4, ['PIL'], ''],
      ['pyyaml', 5, ['yaml'], ''],
      ['protobuf', 6, ['google.protobuf'], ''],
      ['torch', 8, ['torch'], ''],
      ['sentence-transformers', 10, ['sentence_transformers'], ''],
    ]);
  });
});

describe('implied dependencies in an audit', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('one finding per distribution, none for declared packages, shipped modules or the standard library', async () => {
    vi.stubEnv('ASSAY_OSV_DB', join(SHARED_DATA, 'osv', 'PyPI'));
    const folder = await tempFolder({
      'README.md': '---\nlibrary_name: transformers\nlicense: apache-2.0\n---\n# Demo\n',
      'requirements.txt': 'numpy==1.26.4\n',
      'configuration_demo.py': 'import json\n',
      'modeling_demo.py': [
        'import os, sys',
        'import torch.nn as nn',
        'from sklearn.linear_model import LogisticRegression',
        'import cv2',
        'from PIL import Image',
        'import yaml',
        'from .configuration_demo import DemoConfig',
        'import configuration_demo',
        'from google.protobuf import message',
        'import numpy as np',
        '',
      ].join('\n'),
      'utils.py': 'import torch\nimport numpy\nfrom PIL import ImageOps\n',
    });
    const report = await audit(folder, {
      policy: DEFAULT_POLICY,
      ...auditPlan('audit'),
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    });
    const unpinned = report.findings.filter((finding) => finding.ruleId === 'supply-chain/unpinned-dependency');
    const packages = unpinned.map((finding) => (finding.evidence as { package: string }).package).sort();
    expect(packages).toEqual([
      'opencv-python',
      'pillow',
      'protobuf',
      'pyyaml',
      'scikit-learn',
      'torch',
      'transformers',
    ]);
    expect(unpinned.every((finding) => finding.severity === 'low' || finding.severity === 'info')).toBe(true);
    const torch = unpinned.find((finding) => (finding.evidence as { package: string }).package === 'torch');
    expect(torch).toMatchObject({ file: 'modeling_demo.py', severity: 'low', location: { line: 2 } });
    expect(torch?.message).toBe(
      'unpinned: torch allows any version, and these advisories affect part of the allowed range: PYSEC-2022-43015 (CVE-2022-45907) affects <1.13.1',
    );
    const opencv = unpinned.find((finding) => (finding.evidence as { package: string }).package === 'opencv-python');
    expect(opencv).toMatchObject({ severity: 'info' });
    expect(opencv?.message).toBe(
      'opencv-python is imported by shipped code (cv2) but no requirement declares it: any version may be installed',
    );
    const transformers = unpinned.find(
      (finding) => (finding.evidence as { package: string }).package === 'transformers',
    );
    expect(transformers).toMatchObject({ file: 'README.md', severity: 'low' });
    expect(report.findings.some((finding) => finding.ruleId === 'supply-chain/vulnerable-dependency')).toBe(false);

    const entries = report.dependencies?.dependencies ?? [];
    expect(entries.filter((entry) => entry.name === 'torch').map((entry) => [entry.foundBy, entry.file])).toEqual([
      ['python-import', 'modeling_demo.py'],
    ]);
    expect(entries.find((entry) => entry.name === 'transformers')).toMatchObject({
      foundBy: 'model-card',
      pinned: false,
      purl: 'pkg:pypi/transformers',
    });
    expect(entries.filter((entry) => entry.name === 'numpy').map((entry) => entry.foundBy)).toEqual(['requirements']);
  });
});
