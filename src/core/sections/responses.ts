import { z } from 'zod';

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'iu');
    return true;
  } catch {
    return false;
  }
}

const Pattern = z.string().min(1).refine(compiles, 'not a valid regular expression');
const Patterns = z
  .array(Pattern)
  .default([])
  .describe('Regular expressions (JavaScript syntax, matched case-insensitively)');
const Topics = z.array(z.string().min(1)).default([]).describe('Topic names from the built-in topic table');

/** One rule of the acceptable-response policy. */
export const ResponseRule = z.discriminatedUnion('kind', [
  z
    .object({
      id: z.string().min(1),
      kind: z.literal('forbidden'),
      description: z.string().optional(),
      topics: Topics,
      patterns: Patterns,
    })
    .strict()
    .describe('The output must not touch these topics or match these patterns'),
  z
    .object({
      id: z.string().min(1),
      kind: z.literal('disclaimer'),
      description: z.string().optional(),
      whenTopics: Topics.describe('When the prompt or the output is about one of these topics ...'),
      whenPatterns: Patterns.describe('... or the prompt or the output matches one of these'),
      disclaimer: z.array(Pattern).min(1).describe('... the output must match one of these patterns'),
    })
    .strict()
    .describe('A disclaimer the output must carry when it is about given topics'),
  z
    .object({
      id: z.string().min(1),
      kind: z.literal('format'),
      description: z.string().optional(),
      json: z.boolean().optional().describe('The output must be valid JSON'),
      maxLength: z.number().int().positive().optional().describe('Characters'),
      minLength: z.number().int().nonnegative().optional(),
      mustMatch: Pattern.optional().describe('A pattern the whole output must match'),
    })
    .strict()
    .describe('Output format rules'),
]);
export type ResponseRule = z.infer<typeof ResponseRule>;

/** The `responses` block of a policy: what an acceptable answer looks like, checked on every behavioural run. */
export const ResponsePolicy = z
  .object({ rules: z.array(ResponseRule).default([]) })
  .strict()
  .describe('Acceptable-response policy: forbidden topics and patterns, required disclaimers, output format');
export type ResponsePolicy = z.infer<typeof ResponsePolicy>;

export const ResponseViolation = z.object({
  caseId: z.string(),
  prompt: z.string().describe('The prompt (last user message), cut to 500 characters'),
  output: z.string().describe('The output, cut to 500 characters'),
  detail: z.string().describe('What broke the rule'),
});

export const ResponsesSection = z.object({
  outputs: z.number().int().nonnegative().describe('Outputs checked'),
  rules: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['forbidden', 'disclaimer', 'format']),
      description: z.string().optional(),
      applicable: z.number().int().nonnegative().describe('Outputs the rule applied to'),
      violations: z.number().int().nonnegative(),
      examples: z.array(ResponseViolation).describe('The first violations (at most 5)'),
    }),
  ),
});
export type ResponsesSection = z.infer<typeof ResponsesSection>;
