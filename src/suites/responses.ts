import type { ResponseRule, ResponsesSection } from '../core/sections/responses.js';
import { RESPONSE_TOPICS } from '../knowledge/response-topics.js';
import type { RunCase, RunInput, RunResult } from '../runners/types.js';

/** One prompt and what the model answered, from any behavioural run. */
export interface Exchange {
  caseId: string;
  prompt: string;
  output: string;
}

/** What the user asked, for disclaimer triggers and examples: the text, or the last user message of a chat. */
export function promptOf(input: RunInput): string {
  if (input.kind === 'text') return input.text;
  if (input.kind === 'chat') return input.messages.findLast((message) => message.role === 'user')?.content ?? '';
  return '';
}

/** Feeds a runner's text outputs to the checker as they arrive (a run's `onResult`). */
export function checkEachOutput(checker: ResponseChecker): (result: RunResult, item: RunCase) => void {
  return (result, item) => {
    if (result.output?.kind === 'text')
      checker.add({ caseId: item.id, prompt: promptOf(item.input), output: result.output.text });
  };
}

const MAX_EXAMPLES = 5;
const EXCERPT = 500;
/** Outputs longer than this are checked on their first part only: user patterns on unbounded text could be slow. */
const MAX_CHECKED = 100_000;

export class UnknownTopicError extends Error {}

interface CompiledRule {
  rule: ResponseRule;
  /** Why the rule applies to this exchange (undefined: it does not), then what breaks it (undefined: it holds). */
  judge(exchange: Exchange): { applies: boolean; violation?: string };
  applicable: number;
  violations: number;
  examples: ResponsesSection['rules'][number]['examples'];
}

/**
 * Checks outputs against the acceptable-response policy as they arrive, keeping counts and the first few
 * violations per rule, so memory does not grow with the run.
 */
export class ResponseChecker {
  private readonly rules: CompiledRule[];
  private outputs = 0;

  constructor(rules: readonly ResponseRule[]) {
    this.rules = rules.map((rule) => ({ rule, judge: compile(rule), applicable: 0, violations: 0, examples: [] }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  add(exchange: Exchange): void {
    this.outputs++;
    const bounded = {
      ...exchange,
      output: exchange.output.slice(0, MAX_CHECKED),
      prompt: exchange.prompt.slice(0, MAX_CHECKED),
    };
    for (const compiled of this.rules) {
      const { applies, violation } = compiled.judge(bounded);
      if (!applies) continue;
      compiled.applicable++;
      if (violation === undefined) continue;
      compiled.violations++;
      if (compiled.examples.length < MAX_EXAMPLES)
        compiled.examples.push({
          caseId: exchange.caseId,
          prompt: exchange.prompt.slice(0, EXCERPT),
          output: exchange.output.slice(0, EXCERPT),
          detail: violation,
        });
    }
  }

  section(): ResponsesSection {
    return {
      outputs: this.outputs,
      rules: this.rules.map(({ rule, applicable, violations, examples }) => ({
        id: rule.id,
        kind: rule.kind,
        ...(rule.description ? { description: rule.description } : {}),
        applicable,
        violations,
        examples,
      })),
    };
  }
}

function compile(rule: ResponseRule): CompiledRule['judge'] {
  switch (rule.kind) {
    case 'forbidden': {
      const matchers = [...topicMatchers(rule.topics), ...patternMatchers(rule.patterns)];
      return ({ output }) => ({ applies: true, violation: firstMatch(matchers, output) });
    }
    case 'disclaimer': {
      const triggers = [...topicMatchers(rule.whenTopics), ...patternMatchers(rule.whenPatterns)];
      const disclaimers = patternMatchers(rule.disclaimer);
      return ({ prompt, output }) => {
        const trigger = firstMatch(triggers, prompt) ?? firstMatch(triggers, output);
        if (trigger === undefined) return { applies: false };
        const carried = disclaimers.some((matcher) => matcher.test(output));
        return { applies: true, violation: carried ? undefined : `about ${trigger} without the required disclaimer` };
      };
    }
    case 'format': {
      const whole = rule.mustMatch === undefined ? undefined : new RegExp(`^(?:${rule.mustMatch})$`, 'isu');
      return ({ output }) => ({ applies: true, violation: formatViolation(rule, whole, output) });
    }
  }
}

interface Matcher {
  label: string;
  test(text: string): boolean;
}

function topicMatchers(topics: readonly string[]): Matcher[] {
  return topics.map((topic) => {
    const known = RESPONSE_TOPICS[topic];
    if (!known)
      throw new UnknownTopicError(
        `unknown response topic "${topic}"; known topics: ${Object.keys(RESPONSE_TOPICS).join(', ')} (or use patterns)`,
      );
    const words = known.keywords.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+'));
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
    return { label: `topic ${topic}`, test: (text: string) => pattern.test(text) };
  });
}

function patternMatchers(patterns: readonly string[]): Matcher[] {
  return patterns.map((source) => {
    const pattern = new RegExp(source, 'iu');
    return { label: `/${source}/`, test: (text: string) => pattern.test(text) };
  });
}

function firstMatch(matchers: readonly Matcher[], text: string): string | undefined {
  return matchers.find((matcher) => matcher.test(text))?.label;
}

function formatViolation(
  rule: Extract<ResponseRule, { kind: 'format' }>,
  whole: RegExp | undefined,
  output: string,
): string | undefined {
  if (rule.maxLength !== undefined && output.length > rule.maxLength)
    return `${output.length} characters, more than ${rule.maxLength}`;
  if (rule.minLength !== undefined && output.length < rule.minLength)
    return `${output.length} characters, fewer than ${rule.minLength}`;
  if (rule.json) {
    try {
      JSON.parse(output);
    } catch {
      return 'not valid JSON';
    }
  }
  if (whole && !whole.test(output)) return `does not match /${rule.mustMatch}/`;
  return undefined;
}
