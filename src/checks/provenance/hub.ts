import { type ArtifactRule, factRule } from '../artifact-rule.js';

export const hubFileRejected: ArtifactRule = factRule(
  {
    id: 'provenance/hub-digest-mismatch',
    pillar: 'provenance',
    severity: 'critical',
    title: 'Downloaded bytes do not match the Hub',
    description:
      'The file served by the Hub (or something between it and this machine) differs from the digest the Hub ' +
      'lists for the commit: tampering, a corrupt mirror or a cache that was altered. The file was not audited or used.',
    remediation: 'Do not use this download; fetch it again over a trusted connection and compare digests.',
    references: [{ kind: 'cwe', id: 'CWE-494', url: 'https://cwe.mitre.org/data/definitions/494.html' }],
  },
  'hub-file-rejected',
  (fact, artifact) => ({
    message: `${fact.path}: ${fact.detail}`,
    file: fact.path,
    evidence: { repo: artifact.file, detail: fact.detail },
  }),
);

export const hubUnpinned: ArtifactRule = factRule(
  {
    id: 'provenance/unpinned-revision',
    pillar: 'provenance',
    severity: 'medium',
    title: 'Hub target named by a branch, not a commit',
    description:
      'A branch or tag can move: the model deployed later may not be the one audited now. Pin the commit this ' +
      'audit resolved.',
    remediation: 'Use hf://org/name@<commit> (the commit is in the finding) and `assay lock` the result.',
    references: [],
  },
  'hub-unpinned',
  (fact) => ({
    message: `${fact.repo}@${fact.revision} resolved to commit ${fact.commit}; pin it as ${fact.repo}@${fact.commit}`,
    evidence: { repo: fact.repo, revision: fact.revision, commit: fact.commit },
  }),
);

export const HUB_RULES: readonly ArtifactRule[] = [hubFileRejected, hubUnpinned];
