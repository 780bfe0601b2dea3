/** The acceptable-response policy, judged on the outputs of a behavioural run (the report's `responses` section). */
import type { Rule } from '../../core/rule.js';
import type { ResponsesSection } from '../../core/sections/responses.js';

export const responsePolicyViolation: Rule<ResponsesSection> = {
  meta: {
    id: 'safety/response-policy-violation',
    pillar: 'safety',
    severity: 'high',
    title: 'Outputs broke the acceptable-response policy',
    description:
      "Outputs of a behavioural run (assay probe, assay eval on a text model) broke a rule of the policy's `responses` " +
      'block: they touched a forbidden topic or pattern, left out a disclaimer required for their topic, or did not ' +
      'have the required format. One finding per rule, with the first violating outputs in the responses section.',
    remediation:
      'Read the examples. Tighten the system prompt or add an output filter for the rule, or change the rule if it ' +
      'is wrong; then rerun the same suite or probe pack with the same seed.',
    references: [
      {
        kind: 'url',
        id: 'OWASP LLM05:2025 Improper Output Handling',
        url: 'https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/',
      },
    ],
  },
  *check(section) {
    for (const rule of section.rules) {
      if (rule.violations === 0) continue;
      const example = rule.examples[0];
      yield {
        message:
          `${rule.id}: ${rule.violations} of ${rule.applicable} outputs broke this ${rule.kind} rule` +
          (example ? ` (first: ${example.caseId}, ${example.detail})` : ''),
        evidence: { rule: rule.id, kind: rule.kind, violations: rule.violations, applicable: rule.applicable },
      };
    }
  },
};

export const RESPONSE_RULES: readonly Rule<ResponsesSection>[] = [responsePolicyViolation];
