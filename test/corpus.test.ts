/**
 * The peer scanners' own labelled fixtures (picklescan and ModelAudit), read from ../shared/data: every sample
 * labelled malicious or benign, whatever its format, must be judged the way its label says. Samples the peers left
 * unlabelled (chat templates with only a `peer_intent`) are judged in their own format's tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPath, SHARED_DATA, serious } from './helpers.js';

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
      ([path, entry]) => path !== '_meta' && (entry.label === 'malicious' || entry.label === 'benign'),
    );

    it('has samples to judge', () => {
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
