import type { EmbeddingKind } from '../../formats/facts.js';
import { type ArtifactRule, at, CWE_502, factRule, where } from '../artifact-rule.js';

const EMBEDDING: Record<EmbeddingKind, string> = {
  raw: 'A bytes value',
  hex: 'A hex string',
  base64: 'A base64 string',
  'loader-argument': 'The bytes handed to a deserializer',
};

export const embeddedPickle: ArtifactRule = factRule(
  {
    id: 'security/embedded-pickle',
    pillar: 'security',
    severity: 'high',
    title: 'A pickle is hidden inside a value of this file',
    description:
      'A bytes or string value (raw, hex or base64) is itself a pickle. Loading the outer file does not run it, ' +
      'but any step that deserializes the value does: a staged payload. The inner pickle is analysed as its own member.',
    remediation: 'Find out which code reads this value; do not deserialize it. Prefer formats without embedded code.',
    references: [CWE_502],
  },
  'embedded-pickle',
  (fact, artifact) => ({
    message:
      fact.imports > 0
        ? `${EMBEDDING[fact.encoding]} at offset ${fact.offset} is a pickle that imports ${fact.imports} global(s) when deserialized${where(artifact)}`
        : `${EMBEDDING[fact.encoding]} at offset ${fact.offset} is a pickle holding only data${where(artifact)}`,
    ...at(artifact, fact.offset),
    severity: fact.imports > 0 ? 'high' : 'medium',
    evidence: { encoding: fact.encoding, member: fact.member, imports: fact.imports },
  }),
);

export const payloadString: ArtifactRule = factRule(
  {
    id: 'security/payload-string',
    pillar: 'security',
    severity: 'high',
    title: 'A value in the file reads as a command or code payload',
    description:
      'A string constant matches a known payload shape (shell commands, os.system, eval/exec of strings, ' +
      'download-and-run pipes). Loading may not run it, but a model file has no reason to carry it.',
    remediation: 'Find out which code reads this value and why; treat the file as untrusted until explained.',
    references: [{ kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' }],
  },
  'payload-string',
  (fact, artifact) => ({
    message: `String at offset ${fact.offset} ${fact.reason}: ${JSON.stringify(fact.excerpt)}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { indicator: fact.indicator, excerpt: fact.excerpt },
  }),
);
