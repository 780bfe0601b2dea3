import type { CounterfactualFairness } from '../../core/sections/fairness.js';
import {
  type CounterfactualTemplate,
  type Dimension,
  fillTemplate,
  TEMPLATES,
} from '../../knowledge/probes/counterfactual-v1.js';
import type { Runner, RunOutput } from '../../runners/types.js';
import type { ResponseChecker } from '../responses.js';
import { classifyRefusal } from '../safety/refusal.js';
import { DEFAULT_BOOTSTRAP, holmAdjust, permutationTest, twoProportionZTest } from './statistics.js';

export interface CounterfactualOptions {
  runner: Runner;
  dimensions: readonly Dimension[];
  templates?: readonly CounterfactualTemplate[];
  /** Family-wise significance level; p-values are Holm-adjusted over every compared pair. */
  alpha: number;
  onResult?: () => void;
  /** The acceptable-response policy, fed every text output. */
  responses?: ResponseChecker;
  /** Seed of the permutation tests on scores. */
  seed?: number;
}

type Measure = CounterfactualFairness['pairs'][number]['measure'];
const MEASURES: readonly Measure[] = ['positive_rate', 'refusal_rate', 'mean_score'];
/** Relabellings per permutation test: p-values down to 1e-4, small enough to survive Holm over ~100 pairs. */
const PERMUTATIONS = 9999;

/**
 * How far the positive class (the last: class 1, POSITIVE, ...) leads the best other class; the score itself for a
 * one-output model. For the lexicon runner's [negative, positive] this is the text's net sentiment.
 */
function positiveMargin(values: readonly number[]): number {
  return values.length === 1 ? values[0] : (values.at(-1) as number) - Math.max(...values.slice(0, -1));
}

/**
 * Whether an output counts for the template's measure: a "yes" (or a classifier's positive class), or a refusal.
 * Undefined when the measure does not apply: a classifier's scores cannot refuse.
 */
function outcome(template: CounterfactualTemplate, output: RunOutput): boolean | undefined {
  if (output.kind === 'scores') {
    if (template.measure === 'refusal_rate') return undefined;
    return output.values.length === 1 ? output.values[0] >= 0.5 : positiveMargin(output.values) >= 0;
  }
  if (template.measure === 'refusal_rate') return classifyRefusal(output.text).refused;
  return /^\W*(?:yes|y)\b/i.test(output.text.trim());
}

const show = (output: RunOutput | undefined) =>
  output === undefined ? '(no output)' : output.kind === 'text' ? output.text : JSON.stringify(output.values);

interface Observation {
  template: CounterfactualTemplate;
  group: string;
  prompt: string;
  output: RunOutput;
  value: boolean | undefined;
  /** The positive margin of a scored output (for mean_score). */
  score: number | undefined;
}

/** The observation's number for a measure (1/0 for an outcome), or undefined when it does not take part. */
function measured(observation: Observation, measure: Measure): number | undefined {
  if (measure === 'mean_score') return observation.score;
  if (observation.template.measure !== measure || observation.value === undefined) return undefined;
  return observation.value ? 1 : 0;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * Runs every template with every demographic term and compares each pair of groups in a dimension, per measure:
 * the share of positive outcomes (two-proportion z-test), for scored outputs also the mean positive-class margin
 * (permutation test), and the templates whose outcome flipped, with examples.
 */
export async function runCounterfactual(options: CounterfactualOptions): Promise<CounterfactualFairness> {
  const templates = options.templates ?? TEMPLATES;
  const plan = options.dimensions.flatMap((dimension) =>
    dimension.terms.flatMap((term) =>
      templates.map((template) => ({
        id: `${dimension.name}/${term.phrase}/${template.id}`,
        dimension: dimension.name,
        group: term.group,
        template,
        prompt: fillTemplate(template, term.phrase),
      })),
    ),
  );
  const results = await options.runner.run(
    plan.map((item) => ({ id: item.id, input: { kind: 'text', text: item.prompt } })),
    { onResult: options.onResult },
  );
  const observations = new Map<string, Observation[]>();
  let errors = 0;
  plan.forEach((item, i) => {
    const output = results[i]?.output;
    if (!output) {
      errors++;
      return;
    }
    if (output.kind === 'text') options.responses?.add({ caseId: item.id, prompt: item.prompt, output: output.text });
    const list = observations.get(item.dimension) ?? [];
    list.push({
      template: item.template,
      group: item.group,
      prompt: item.prompt,
      output,
      value: outcome(item.template, output),
      score: output.kind === 'scores' ? positiveMargin(output.values) : undefined,
    });
    observations.set(item.dimension, list);
  });

  const seed = options.seed ?? DEFAULT_BOOTSTRAP.seed;
  const comparisons: Omit<CounterfactualFairness['pairs'][number], 'adjustedPValue' | 'significant'>[] = [];
  for (const dimension of options.dimensions) {
    const seen = observations.get(dimension.name) ?? [];
    const groups = [...new Set(dimension.terms.map((term) => term.group))];
    for (const measure of MEASURES) {
      for (let a = 0; a < groups.length; a++) {
        for (let b = a + 1; b < groups.length; b++) {
          const ofGroup = (group: string) =>
            seen.flatMap((observation) => {
              const value = measured(observation, measure);
              return observation.group === group && value !== undefined ? [{ observation, value }] : [];
            });
          const ofA = ofGroup(groups[a]);
          const ofB = ofGroup(groups[b]);
          if (ofA.length === 0 || ofB.length === 0) continue;
          const valuesA = ofA.map((item) => item.value);
          const valuesB = ofB.map((item) => item.value);
          const pValue =
            measure === 'mean_score'
              ? permutationTest(valuesA, valuesB, PERMUTATIONS, seed).pValue
              : twoProportionZTest(
                  valuesA.filter(Boolean).length,
                  valuesA.length,
                  valuesB.filter(Boolean).length,
                  valuesB.length,
                ).pValue;
          // A template flips when the groups' majority outcome on it (for scores: their mean score) differs.
          const summary = (values: number[]) => (measure === 'mean_score' ? mean(values) : Number(mean(values) > 0.5));
          const compared = templates.filter((template) => ofA.some((item) => item.observation.template === template));
          const flipped = compared.flatMap((template) => {
            const inA = ofA.filter((item) => item.observation.template === template);
            const inB = ofB.filter((item) => item.observation.template === template);
            if (inA.length === 0 || inB.length === 0) return [];
            const gap = summary(inA.map((item) => item.value)) - summary(inB.map((item) => item.value));
            if (Math.abs(gap) < 1e-9) return [];
            return [
              {
                promptA: inA[0].observation.prompt,
                outputA: show(inA[0].observation.output),
                promptB: inB[0].observation.prompt,
                outputB: show(inB[0].observation.output),
              },
            ];
          });
          const valueA = mean(valuesA);
          const valueB = mean(valuesB);
          comparisons.push({
            dimension: dimension.name,
            groupA: groups[a],
            groupB: groups[b],
            measure,
            valueA,
            valueB,
            difference: valueA - valueB,
            flips: flipped.length,
            templates: compared.length,
            pValue,
            examples: flipped.slice(0, 3),
          });
        }
      }
    }
  }
  const adjusted = holmAdjust(comparisons.map((comparison) => comparison.pValue));
  const pairs = comparisons
    .map((comparison, i) => ({ ...comparison, adjustedPValue: adjusted[i], significant: adjusted[i] < options.alpha }))
    .sort((x, y) => x.adjustedPValue - y.adjustedPValue || Math.abs(y.difference) - Math.abs(x.difference));
  return {
    runner: options.runner.describe(),
    templates: templates.length,
    cases: plan.length,
    errors,
    alpha: options.alpha,
    correction: 'holm',
    pairs,
  };
}
