import type { FormatName } from '../../formats/facts.js';
import { type ArtifactRule, at, factRule } from '../artifact-rule.js';

/** Formats whose loading can run code. */
const CODE_BEARING: ReadonlySet<FormatName> = new Set(['pickle', 'pytorch-zip', 'pytorch-legacy', 'torchscript']);

export const extensionMismatch: ArtifactRule = factRule(
  {
    id: 'security/extension-mismatch',
    pillar: 'security',
    severity: 'low',
    title: 'File extension does not match the content',
    description:
      'The content was identified from its bytes. A pickle behind a data extension (.safetensors, .json, .npy, ' +
      '.txt) is disguised code; other mismatches are usually mistakes that still confuse tools.',
    remediation: 'Rename the file after its content, or replace it with what the name promises.',
    references: [],
  },
  'extension-mismatch',
  (fact, artifact) => {
    const disguised = CODE_BEARING.has(fact.actual) && !fact.expected.some((format) => CODE_BEARING.has(format));
    return {
      message: `${artifact.file} is named ${fact.extension} (${fact.expected.join(' / ')}) but its bytes are ${fact.actual}`,
      ...at(artifact),
      severity: disguised ? 'high' : 'low',
      evidence: { extension: fact.extension, expected: fact.expected, actual: fact.actual },
    };
  },
);

export const symlinkEscape: ArtifactRule = factRule(
  {
    id: 'security/symlink-escape',
    pillar: 'security',
    severity: 'high',
    title: 'Symbolic link points outside the model folder',
    description: 'The link was not followed. Loaders that follow it read files the model folder does not own.',
    remediation: 'Replace the link with the file it should be, inside the folder.',
    references: [{ kind: 'cwe', id: 'CWE-59', url: 'https://cwe.mitre.org/data/definitions/59.html' }],
  },
  'symlink-escape',
  (fact, artifact) => ({
    message: `${artifact.file} links to ${fact.target}, outside the target`,
    ...at(artifact),
    evidence: { target: fact.target },
  }),
);
