import { NOT_ANALYSED_RULE_ID } from '../../core/not-analysed.js';
import type { FindingDraft } from '../../core/rule.js';
import type { Fact } from '../../formats/facts.js';
import { type ArtifactRule, at, where } from '../artifact-rule.js';

/** Facts that mean some bytes were not analysed, with how much that matters. */
function describe(fact: Fact): Pick<FindingDraft, 'message' | 'severity'> | undefined {
  switch (fact.kind) {
    case 'limit-reached':
      return { message: `Analysis stopped at a limit (${fact.limit} = ${fact.value}): ${fact.detail}` };
    case 'not-analysed':
      return { message: fact.detail };
    case 'malformed':
      return { message: `Could not be parsed: ${fact.detail}` };
    case 'unreadable':
      return { message: `Could not be read: ${fact.detail}` };
    case 'archive-member-skipped':
      return { message: `Member ${JSON.stringify(fact.name)} was skipped: ${fact.detail}` };
    case 'text-not-inspected':
      // Text is never loaded as code by model loaders; visible, but not a gate failure on its own.
      return { message: `Text file not inspected: ${fact.detail}`, severity: 'medium' };
    case 'archive-encrypted':
      // No model loader can read it without the password either.
      return { message: `Member ${JSON.stringify(fact.name)} is encrypted and was not analysed`, severity: 'medium' };
    default:
      return undefined;
  }
}

export const notAnalysed: ArtifactRule = {
  meta: {
    id: NOT_ANALYSED_RULE_ID,
    pillar: 'security',
    severity: 'high',
    title: 'Content could not be analysed',
    description:
      'Assay fails closed: bytes it could not parse, or stopped reading at a documented limit, are reported ' +
      'instead of being called clean. With the default policy this makes the audit exit with code 2.',
    remediation:
      'Check the file is what it claims to be and not truncated; if a limit was reached, re-run with a higher ' +
      'limit or inspect the member by hand.',
    references: [],
  },
  *check(artifact) {
    for (const fact of artifact.facts) {
      const found = describe(fact);
      if (!found) continue;
      const offset = 'offset' in fact ? fact.offset : undefined;
      yield { ...found, message: `${found.message}${where(artifact)}`, ...at(artifact, offset), evidence: { ...fact } };
    }
  },
};
