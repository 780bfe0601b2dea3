import type { Reference } from '../../core/finding.js';
import { type SecretFamily, secretPatternById } from '../../knowledge/secret-patterns.js';
import { type ArtifactRule, factRule, where } from '../artifact-rule.js';

const cwe = (id: number): Reference => ({
  kind: 'cwe',
  id: `CWE-${id}`,
  url: `https://cwe.mitre.org/data/definitions/${id}.html`,
});

const REVOKE =
  'Revoke or rotate the credential now: it was exposed as soon as the file was shared. Then remove it from the ' +
  'file and from the repository history, and read credentials from the environment or a secret store.';

const FAMILIES: Readonly<
  Record<
    SecretFamily,
    { id: string; title: string; severity: 'critical' | 'high'; description: string; references: Reference[] }
  >
> = {
  token: {
    id: 'security/secret-token',
    title: 'A credential with a known format is in the model files',
    severity: 'high',
    description:
      'A token whose format identifies its service (Hugging Face, OpenAI, Anthropic, AWS, GitHub, Slack, npm, PyPI, ' +
      'Stripe, credentials in URLs). Cloud secret keys are critical. Found offline, so not verified against the service. ' +
      'The report shows only a masked prefix and the length.',
    references: [cwe(798)],
  },
  'private-key': {
    id: 'security/secret-private-key',
    title: 'A private key is in the model files',
    severity: 'critical',
    description:
      'A PEM private key block or a Google Cloud service-account key. Whoever holds it can act as its owner. ' +
      'The report shows only a masked prefix and the length.',
    references: [cwe(321), cwe(798)],
  },
  generic: {
    id: 'security/secret-generic',
    title: 'A random-looking value is assigned to a credential name',
    severity: 'high',
    description:
      'An assignment such as api_key = "…" whose value has high Shannon entropy (at least 3.5 bits per character), ' +
      'a digit and a letter, and is not a placeholder, a file name or a version. Usually a live credential; review it. ' +
      'The report shows only a masked prefix and the length.',
    references: [cwe(798)],
  },
};

function familyRule(family: SecretFamily): ArtifactRule {
  const { id, title, severity, description, references } = FAMILIES[family];
  return factRule(
    { id, pillar: 'security', severity, title, description, remediation: REVOKE, references },
    'secret',
    (fact, artifact) => {
      const pattern = secretPatternById(fact.pattern);
      if ((pattern?.family ?? 'generic') !== family) return undefined;
      const what =
        fact.label && fact.pattern === 'private-key' ? `${fact.label}` : (pattern?.description ?? fact.pattern);
      const assigned = fact.name ? ` assigned to ${fact.name}` : '';
      return {
        message: `Line ${fact.line}: ${what}${assigned}, ${fact.masked} (${fact.length} characters, masked)${where(artifact)}`,
        file: artifact.file,
        location: { ...(artifact.member ? { member: artifact.member } : {}), line: fact.line },
        severity: pattern?.severity ?? severity,
        evidence: {
          pattern: fact.pattern,
          masked: fact.masked,
          length: fact.length,
          line: fact.line,
          column: fact.column,
          ...(fact.name ? { name: fact.name } : {}),
          ...(fact.label ? { label: fact.label } : {}),
          ...(pattern ? { why: pattern.reason } : {}),
        },
      };
    },
  );
}

export const SECRET_RULES: readonly ArtifactRule[] = (Object.keys(FAMILIES) as SecretFamily[]).map(familyRule);
