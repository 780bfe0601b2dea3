import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

const CWE_22 = { kind: 'cwe', id: 'CWE-22', url: 'https://cwe.mitre.org/data/definitions/22.html' } as const;

export const archiveUnsafePath: ArtifactRule = factRule(
  {
    id: 'security/archive-unsafe-path',
    pillar: 'security',
    severity: 'high',
    title: 'Archive member path escapes the extraction folder (zip-slip)',
    description: 'Extracting the archive writes outside the target folder: absolute paths, drive letters or "..".',
    remediation: 'Do not extract this archive with a tool that trusts member names; ask for a clean archive.',
    references: [CWE_22],
  },
  'archive-unsafe-path',
  (fact, artifact) => ({
    message: `Member ${JSON.stringify(fact.name)}: ${fact.reason}${where(artifact)}`,
    ...at(artifact),
    evidence: { name: fact.name, reason: fact.reason },
  }),
);

export const archiveLink: ArtifactRule = factRule(
  {
    id: 'security/archive-link',
    pillar: 'security',
    severity: 'medium',
    title: 'Archive contains a link',
    description: 'A symbolic or hard link inside an archive can point extraction or later reads at files outside it.',
    remediation: 'Check the link target; model archives have no need for links.',
    references: [CWE_22, { kind: 'cwe', id: 'CWE-59', url: 'https://cwe.mitre.org/data/definitions/59.html' }],
  },
  'archive-link',
  (fact, artifact) => {
    const escapes = fact.target.startsWith('/') || fact.target.split(/[\\/]/).includes('..');
    return {
      message: `${fact.linkType} ${JSON.stringify(fact.name)} points to ${JSON.stringify(fact.target)}${where(artifact)}`,
      ...at(artifact),
      severity: escapes ? 'high' : 'medium',
      evidence: { name: fact.name, target: fact.target, linkType: fact.linkType },
    };
  },
);

export const archiveBomb: ArtifactRule = factRule(
  {
    id: 'security/archive-bomb',
    pillar: 'security',
    severity: 'high',
    title: 'Decompression bomb',
    description: 'A member expands far beyond its compressed size; extracting or loading it exhausts disk or memory.',
    remediation: 'Do not extract or load it; ask the producer for the real file.',
    references: [{ kind: 'cwe', id: 'CWE-409', url: 'https://cwe.mitre.org/data/definitions/409.html' }],
  },
  'archive-bomb',
  (fact, artifact) => ({
    message: `Member ${JSON.stringify(fact.name)} expands ${fact.ratio}:1 (${fact.compressed} → ${fact.uncompressed} bytes); analysis of it stopped${where(artifact)}`,
    ...at(artifact),
    evidence: { name: fact.name, compressed: fact.compressed, uncompressed: fact.uncompressed, ratio: fact.ratio },
  }),
);

export const archiveDamaged: ArtifactRule = factRule(
  {
    id: 'security/archive-damaged',
    pillar: 'security',
    severity: 'medium',
    title: 'Archive is damaged but still loadable',
    description:
      'Bad CRCs, unusual flag bits or a central directory that disagrees with the local headers make many ' +
      'scanners skip the archive, while PyTorch still loads it. Assay read it the lenient way PyTorch does.',
    remediation: 'Re-export the model; a damaged archive from a third party is a sign of tampering.',
    references: [],
  },
  'archive-damaged',
  (fact, artifact) => ({
    message: `${fact.detail}${fact.name ? ` (member ${JSON.stringify(fact.name)})` : ''}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { detail: fact.detail, name: fact.name },
  }),
);

export const torchscriptCode: ArtifactRule = factRule(
  {
    id: 'security/torchscript-code',
    pillar: 'security',
    severity: 'medium',
    title: 'TorchScript archive ships code',
    description:
      'TorchScript archives carry Python-like source under code/ that torch.jit.load compiles and runs; it can ' +
      'call torch operators with side effects. Review it before loading.',
    remediation: 'Read the listed code members, or ask for the weights as a state dict in safetensors.',
    references: [],
  },
  'torchscript-code',
  (fact, artifact) => ({
    message: `Code member ${JSON.stringify(fact.name)} (${fact.size} bytes) runs under torch.jit.load${where(artifact)}`,
    ...at(artifact),
    evidence: { name: fact.name, size: fact.size },
  }),
);

export const numpyObjectArray: ArtifactRule = factRule(
  {
    id: 'security/numpy-object-array',
    pillar: 'security',
    severity: 'medium',
    title: 'NumPy array of Python objects (pickled payload)',
    description:
      'An object-dtype .npy stores its data as a pickle; np.load(allow_pickle=True) unpickles it. The payload ' +
      'is analysed as a member of its own.',
    remediation: 'Load with allow_pickle=False unless the payload findings are clean and the source is trusted.',
    references: [],
  },
  'numpy-object-array',
  (fact, artifact) => ({
    message: `Array with dtype ${fact.descr} and shape (${fact.shape.join(', ')}) is stored as a pickle${where(artifact)}`,
    ...at(artifact),
    evidence: { descr: fact.descr, shape: fact.shape },
  }),
);
