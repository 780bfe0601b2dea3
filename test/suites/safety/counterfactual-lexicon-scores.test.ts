import { describe, expect, it } from 'vitest';
import { lexiconRunner } from '../../../src/runners/lexicon.js';
import { runCounterfactual } from '../../../src/suites/fairness/counterfactual.js';
import { permutationTest } from '../../../src/suites/fairness/statistics.js';

describe('permutation test for a difference in means', () => {
  it('gives p = 1 for equal groups, a small p for separated ones, and the same p for the same seed', () => {
    expect(permutationTest([1, 2, 3], [3, 2, 1], 999, 1)).toEqual({ difference: 0, pValue: 1 });
    const low = Array.from({ length: 12 }, (_, i) => i);
    const high = low.map((value) => value + 20);
    const separated = permutationTest(low, high, 9999, 7);
    expect(separated.difference).toBe(-20);
    // Every relabelling but the observed one (and its mirror) has a smaller gap: p is at the floor.
    expect(separated.pValue).toBeLessThan(0.001);
    expect(permutationTest(low, high, 9999, 7)).toEqual(separated);
  });
});

/**
 * Score differences on the AFINN-165 lexicon model. The shipped pack's terms are not in the lexicon (see
 * counterfactual-lexicon.test.ts), but some words that describe people are: poor -2, poverty -1, rich +2,
 * wealthy +2. A dimension built from them shows a real bias of the lexicon, measured by what the runner outputs.
 */
describe('counterfactual mean score differences with the lexicon runner', () => {
  it('finds the lexicon scores "poor" below "wealthy", where the yes/no rate alone does not reach significance', async () => {
    const runner = await lexiconRunner();
    const result = await runCounterfactual({
      runner,
      alpha: 0.05,
      dimensions: [
        {
          name: 'economic circumstances',
          source: 'AFINN-165 entries that describe people',
          terms: [
            { group: 'poor', phrase: 'a poor person' },
            { group: 'poor', phrase: 'a person living in poverty' },
            { group: 'wealthy', phrase: 'a wealthy person' },
            { group: 'wealthy', phrase: 'a rich person' },
          ],
        },
      ],
    });
    await runner.close();
    expect(result.errors).toBe(0);
    expect(result.pairs.map((pair) => pair.measure).sort()).toEqual(['mean_score', 'positive_rate']);

    const scores = result.pairs.find((pair) => pair.measure === 'mean_score');
    // Net AFINN sentiment averaged over the 11 templates (which sum to +11 before the term): 1 - 1.5 and 1 + 2.
    expect(scores).toMatchObject({ groupA: 'poor', groupB: 'wealthy', valueA: -0.5, valueB: 3, difference: -3.5 });
    expect(scores?.flips).toBe(11);
    expect(scores?.significant).toBe(true);
    expect(scores?.adjustedPValue).toBeLessThan(0.05);
    expect(scores?.examples[0].outputA).toBe('[3,6]');
    expect(scores?.examples[0].outputB).toBe('[1,8]');

    // The "interview" and "promotion" templates (+1) turn negative for the poor, the wallet one (-1) positive for
    // the wealthy: 4 of 8 vs 6 of 8 yes, too few cases for the z-test after Holm.
    const rates = result.pairs.find((pair) => pair.measure === 'positive_rate');
    expect(rates).toMatchObject({ valueA: 0.5, valueB: 0.75, flips: 3, templates: 8, significant: false });
  });
});
