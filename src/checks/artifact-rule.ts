import type { FindingDraft, Rule, RuleContext, RuleMeta } from '../core/rule.js';
import type { Artifact, FactKind, FactOf } from '../formats/facts.js';

export type ArtifactRule = Rule<Artifact>;

/** Where a fact sits, in the shape findings use. */
export function at(artifact: Artifact, offset?: number): Pick<FindingDraft, 'file' | 'location'> {
  const location = { member: artifact.member, offset };
  return {
    file: artifact.file,
    location: location.member === undefined && offset === undefined ? undefined : location,
  };
}

/** A rule that looks at facts of one kind, one finding per fact (or none). */
export function factRule<K extends FactKind>(
  meta: RuleMeta,
  kind: K,
  judge: (fact: FactOf<K>, artifact: Artifact, context: RuleContext) => FindingDraft | undefined,
): ArtifactRule {
  return {
    meta,
    *check(artifact, context) {
      for (const fact of artifact.facts) {
        if (fact.kind !== kind) continue;
        const draft = judge(fact as FactOf<K>, artifact, context);
        if (draft) yield draft;
      }
    },
  };
}

/** "in data.pkl inside model.pt" style suffix for messages. */
export function where(artifact: Artifact): string {
  return artifact.member ? ` (in ${artifact.member})` : '';
}

export const CWE_502 = { kind: 'cwe', id: 'CWE-502', url: 'https://cwe.mitre.org/data/definitions/502.html' } as const;
export const PICKLE_DOCS = {
  kind: 'url',
  id: 'Python pickle security warning',
  url: 'https://docs.python.org/3/library/pickle.html',
} as const;
