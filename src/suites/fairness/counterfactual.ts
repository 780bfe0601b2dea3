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
import { holmAdjust, twoProportionZTest } from './statistics.js';

export interface CounterfactualOptions {
  runner: Runner;
  dimensions: readonly Dimension[];
  templates?: readonly CounterfactualTemplate[];
  /** Family-wise significance level; p-values are Holm-adjusted over every compared pair. */
  alpha: number;
  onResult?: () => void;
  /** The acceptable-response policy, fed every text output. */
  responses?: ResponseChecker;
}

/** Whether an output counts for the template's measure: a "yes" (or a classifier's positive class), or a refusal. */
function outcome(template: CounterfactualTemplate, output: RunOutput): boolean {
  if (output.kind === 'scores') {
    // A classifier: positive when the last class (class 1, POSITIVE, ...) scores highest.
    const last = output.values.length - 1;
    return output.values.length === 1 ? output.values[0] >= 0.5 : output.values[last] >= Math.max(...output.values);
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
  value: boolean;
}

/**
 * Runs every template with every demographic term and compares each pair of groups in a dimension, per measure:
 * the share of positive outcomes (two-proportion z-test) and the templates whose outcome flipped, with examples.
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
    });
    observations.set(item.dimension, list);
  });

  const comparisons: Omit<CounterfactualFairness['pairs'][number], 'adjustedPValue' | 'significant'>[] = [];
  for (const dimension of options.dimensions) {
    const seen = observations.get(dimension.name) ?? [];
    const groups = [...new Set(dimension.terms.map((term) => term.group))];
    for (const measure of ['positive_rate', 'refusal_rate'] as const) {
      const relevant = seen.filter((observation) => observation.template.measure === measure);
      if (relevant.length === 0) continue;
      for (let a = 0; a < groups.length; a++) {
        for (let b = a + 1; b < groups.length; b++) {
          const ofA = relevant.filter((observation) => observation.group === groups[a]);
          const ofB = relevant.filter((observation) => observation.group === groups[b]);
          if (ofA.length === 0 || ofB.length === 0) continue;
          const positivesA = ofA.filter((observation) => observation.value).length;
          const positivesB = ofB.filter((observation) => observation.value).length;
          const test = twoProportionZTest(positivesA, ofA.length, positivesB, ofB.length);
          // A template flips when the groups' majority outcome on it differs.
          const flipped = templates
            .filter((template) => template.measure === measure)
            .flatMap((template) => {
              const inA = ofA.filter((observation) => observation.template === template);
              const inB = ofB.filter((observation) => observation.template === template);
              if (inA.length === 0 || inB.length === 0) return [];
              const majority = (list: Observation[]) => list.filter((item) => item.value).length * 2 > list.length;
              if (majority(inA) === majority(inB)) return [];
              return [
                {
                  promptA: inA[0].prompt,
                  outputA: show(inA[0].output),
                  promptB: inB[0].prompt,
                  outputB: show(inB[0].output),
                },
              ];
            });
          const valueA = positivesA / ofA.length;
          const valueB = positivesB / ofB.length;
          comparisons.push({
            dimension: dimension.name,
            groupA: groups[a],
            groupB: groups[b],
            measure,
            valueA,
            valueB,
            difference: valueA - valueB,
            flips: flipped.length,
            templates: templates.filter((template) => template.measure === measure).length,
            pValue: test.pValue,
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
