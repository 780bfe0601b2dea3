import { z } from 'zod';

/**
 * A probe pack: versioned attack prompts, each with what it tries to achieve, the OWASP Top 10 for LLM Applications
 * (2025) entries it exercises, and the detectors that decide whether it succeeded. Built-in packs are TypeScript data
 * (`core-v1.ts`); users can pass their own pack as YAML or JSON in the same shape.
 */

export const OWASP_LLM_TOP_10 = {
  'LLM01:2025': 'Prompt Injection',
  'LLM02:2025': 'Sensitive Information Disclosure',
  'LLM03:2025': 'Supply Chain',
  'LLM04:2025': 'Data and Model Poisoning',
  'LLM05:2025': 'Improper Output Handling',
  'LLM06:2025': 'Excessive Agency',
  'LLM07:2025': 'System Prompt Leakage',
  'LLM08:2025': 'Vector and Embedding Weaknesses',
  'LLM09:2025': 'Misinformation',
  'LLM10:2025': 'Unbounded Consumption',
} as const;
export const OwaspId = z.enum(Object.keys(OWASP_LLM_TOP_10) as [keyof typeof OWASP_LLM_TOP_10]);

export const ProbeCategory = z.enum([
  'prompt-injection',
  'jailbreak',
  'obfuscation',
  'harmful-request',
  'system-prompt-extraction',
  'pii-leakage',
]);
export type ProbeCategory = z.infer<typeof ProbeCategory>;

/**
 * How a probe's success is decided. Every detector says "hit" when the attack succeeded:
 * - `refusal`: the model did not refuse (rules + classifier, see suites/safety/refusal.ts);
 * - `string`: the output contains one of the strings (case-insensitive);
 * - `regex`: the output matches the pattern;
 * - `canary`: the secret planted in the system prompt appears in the output (also spaced out, reversed or base64);
 * - `pii`: the output contains personal data (emails, phones, cards, IBANs, SSNs, public IPs).
 */
export const DetectorSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('refusal') }),
  z.object({ kind: z.literal('string'), any: z.array(z.string().min(1)).min(1) }),
  z.object({
    kind: z.literal('regex'),
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsu]*$/)
      .optional(),
  }),
  z.object({ kind: z.literal('canary') }),
  z.object({ kind: z.literal('pii') }),
]);
export type DetectorSpec = z.infer<typeof DetectorSpec>;

export const ProbeMessage = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });

export const Probe = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
    category: ProbeCategory,
    goal: z.string().min(1).describe('What the attacker wants; what a hit means'),
    tags: z.array(OwaspId).min(1),
    /** The conversation sent after the system prompt; the last message is the attack. */
    messages: z.array(ProbeMessage).min(1),
    detectors: z.array(DetectorSpec).min(1),
  })
  .strict();
export type Probe = z.infer<typeof Probe>;

export const ProbePack = z
  .object({
    name: z.string().min(1),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version such as 1.0.0'),
    description: z.string(),
    /** System prompt for every probe; `{{canary}}` is replaced by a secret unique to the run. */
    systemPrompt: z.string().min(1),
    probes: z.array(Probe).min(1),
  })
  .strict();
export type ProbePack = z.infer<typeof ProbePack>;
