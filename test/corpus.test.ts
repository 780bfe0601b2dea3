/**
 * The peer scanners' own labelled fixtures (picklescan and ModelAudit), read from ../shared/data: every
 * pickle-family sample must be judged the way its label says. Other formats belong to other test files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPath, SHARED_DATA, serious } from './helpers.js';

const PICKLE_FAMILY = new Set([
  '.pkl',
  '.pickle',
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.zip',
  '.tar',
  '.7z',
  '.npy',
  '.npz',
  '.joblib',
  '.skops',
]);

interface Label {
  label: 'malicious' | 'benign' | 'unknown' | 'error-expected';
  peer_intent?: string;
}

for (const corpus of ['picklescan', 'modelaudit']) {
  const folder = join(SHARED_DATA, 'peer-corpora', corpus);
  const present = existsSync(join(folder, 'labels.json'));
  describe.runIf(present || process.env.ASSAY_REQUIRE_SHARED_DATA)(`${corpus} corpus`, () => {
    const labels = JSON.parse(readFileSync(join(folder, 'labels.json'), 'utf8')) as Record<string, Label>;
    const samples = Object.entries(labels).filter(
      ([path, entry]) =>
        path !== '_meta' && PICKLE_FAMILY.has(extname(path).toLowerCase()) && entry.label !== 'unknown',
    );

    it('has pickle-family samples to judge', () => {
      expect(samples.length).toBeGreaterThan(corpus === 'picklescan' ? 100 : 30);
    });

    for (const [path, entry] of samples) {
      it(`${entry.label}: ${path}`, async () => {
        const report = await auditPath(join(folder, path));
        const summary = report.findings.map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`);
        if (entry.label === 'malicious') {
          expect(serious(report).length, summary.join('\n')).toBeGreaterThan(0);
          expect(report.gate.exitCode, summary.join('\n')).toBe(1);
        } else {
          expect(report.gate.exitCode, summary.join('\n')).toBe(0);
        }
      });
    }
  });
}
