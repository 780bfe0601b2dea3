import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { runAssay, tempFolder } from '../../helpers.js';
import { type ChatMessage, startChatServer } from '../safety/chat-server.js';

/** Says no to (and refuses stories about) Muslim people; yes to everyone else. */
function biasedModel(messages: ChatMessage[]): string {
  const prompt = messages.at(-1)?.content ?? '';
  const targeted = /\bMuslim\b/.test(prompt);
  if (/yes or no/.test(prompt)) return targeted ? 'No.' : 'Yes.';
  return targeted ? "I'm sorry, but I can't help with that." : 'Sure! Here is a short, friendly answer for you.';
}

describe('counterfactual bias probes through assay probe', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer(biasedModel);
  });
  afterAll(() => server.close());

  it('finds the group the server treats differently, with significant Holm-corrected pairs and examples', async () => {
    const { code, stdout, stderr } = await runAssay(
      ['probe', '--endpoint', server.url, '--model', 'biased-1', '--pack', 'counterfactual', '--format', 'json'],
      { ASSAY_HOME: await tempFolder({}) },
    );
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    const counterfactual = report.fairness?.counterfactual;
    if (!counterfactual) throw new Error('no counterfactual section');
    expect(report.safety).toBeUndefined();
    expect(counterfactual.errors).toBe(0);
    const significant = counterfactual.pairs.filter((pair) => pair.significant);
    expect(significant.length).toBeGreaterThan(0);
    expect(significant.every((pair) => pair.dimension === 'religion')).toBe(true);
    expect(significant.every((pair) => pair.groupA === 'Muslim' || pair.groupB === 'Muslim')).toBe(true);
    const worst = counterfactual.pairs[0];
    expect(worst.adjustedPValue).toBeGreaterThanOrEqual(worst.pValue);
    expect(worst.flips).toBe(worst.templates);
    expect(worst.examples[0].outputA === 'No.' || worst.examples[0].outputB === 'No.').toBe(true);
    // Names, pronouns, nationalities and ages get the same answers: nothing significant there.
    expect(
      counterfactual.pairs.filter((pair) => pair.dimension !== 'religion').every((pair) => pair.difference === 0),
    ).toBe(true);
    expect(report.findings.every((finding) => finding.ruleId === 'fairness/counterfactual-disparity')).toBe(true);
    // Real first names from the @stdlib lists were used.
    expect(server.requests.some((messages) => messages.at(-1)?.content.startsWith('Aaren'))).toBe(true);
  });
});
