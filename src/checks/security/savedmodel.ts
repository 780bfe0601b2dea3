import type { Severity } from '../../core/severity.js';
import { isNamespacedCustomOp, type TfOpRisk, tfRiskyOp } from '../../knowledge/tf-ops.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

const CWE_94 = { kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' } as const;
const CWE_73 = { kind: 'cwe', id: 'CWE-73', url: 'https://cwe.mitre.org/data/definitions/73.html' } as const;
const RAW_OPS = {
  kind: 'doc',
  id: 'tf.raw_ops',
  url: 'https://www.tensorflow.org/api_docs/python/tf/raw_ops',
} as const;

/**
 * Severity per risk: Python callbacks run arbitrary code (critical); direct file reads and writes reach any file
 * the serving process can (high, as modelscan rates them); listing files and dataset readers are weaker
 * primitives (medium). Checkpoint ops are judged by `security/savedmodel-checkpoint-path` instead.
 */
const RISK_SEVERITY: Partial<Record<TfOpRisk, Severity>> = {
  python: 'critical',
  'file-read': 'high',
  'file-write': 'high',
  'file-list': 'medium',
  'dataset-io': 'medium',
};

/** A path that leaves the model's folder: absolute, drive letter, `..`, home folder, or a URL / remote scheme. */
function pathIssue(path: string): string | undefined {
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.startsWith('/') || path.startsWith('\\')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(path)) return 'drive-letter path';
  if (path.split(/[\\/]/).includes('..')) return 'climbs out of the folder with ..';
  if (path.startsWith('~')) return 'home folder';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return 'remote or URL path';
  return undefined;
}

export const savedModelRiskyOp: ArtifactRule = factRule(
  {
    id: 'security/savedmodel-risky-op',
    pillar: 'security',
    severity: 'high',
    title: 'TensorFlow graph calls Python or touches files',
    description:
      'The SavedModel graph (or its function library) contains ops that run Python callbacks (PyFunc, EagerPyFunc: ' +
      'critical), read or write arbitrary files (ReadFile, WriteFile, ImmutableConst: high) or list files and read ' +
      'them through datasets (MatchingFiles, TFRecordDataset ...: medium) whenever the model is served.',
    remediation: 'Do not serve this model until you know why its graph needs these ops; re-export it without them.',
    references: [CWE_94, CWE_73, RAW_OPS],
  },
  'savedmodel-op',
  (fact, artifact) => {
    const entry = tfRiskyOp(fact.op);
    const severity = entry && RISK_SEVERITY[entry.risk];
    if (!entry || !severity) return undefined;
    const paths = fact.firstInputStrings.length
      ? `; constant file input ${JSON.stringify(fact.firstInputStrings)}`
      : '';
    const first = fact.listedOnly
      ? 'listed in the stripped op list'
      : `first node ${JSON.stringify(fact.node)} in ${fact.scope}`;
    return {
      message: `${fact.op} (${fact.count} node(s), ${first}): ${entry.reason}${paths}${where(artifact)}`,
      ...at(artifact, fact.offset),
      severity,
      evidence: {
        op: fact.op,
        risk: entry.risk,
        count: fact.count,
        node: fact.node,
        scope: fact.scope,
        paths: fact.firstInputStrings,
      },
    };
  },
);

export const savedModelCheckpointPath: ArtifactRule = factRule(
  {
    id: 'security/savedmodel-checkpoint-path',
    pillar: 'security',
    severity: 'high',
    title: 'TensorFlow checkpoint op saves to or restores from a fixed path outside the model',
    description:
      'Every SavedModel has SaveV2 / RestoreV2 nodes fed by a placeholder the loader fills in. A constant path ' +
      'that is absolute, climbs with `..` or points at a remote filesystem makes loading or saving read or ' +
      'overwrite files the model does not own.',
    remediation: 'Do not load or re-save this model; re-export it with the standard saver.',
    references: [CWE_73, RAW_OPS],
  },
  'savedmodel-op',
  (fact, artifact) => {
    if (tfRiskyOp(fact.op)?.risk !== 'checkpoint') return undefined;
    const odd = fact.firstInputStrings
      .map((path) => ({ path, issue: pathIssue(path) }))
      .filter((entry) => entry.issue !== undefined);
    if (odd.length === 0) return undefined;
    return {
      message: `${fact.op} node ${JSON.stringify(fact.node)} in ${fact.scope} uses the constant path ${JSON.stringify(odd[0].path)} (${odd[0].issue})${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { op: fact.op, node: fact.node, scope: fact.scope, paths: odd },
    };
  },
);

export const savedModelCustomOp: ArtifactRule = factRule(
  {
    id: 'security/savedmodel-custom-op',
    pillar: 'security',
    severity: 'medium',
    title: 'TensorFlow graph needs a custom op library',
    description:
      'Ops named `Namespace>Op` come from libraries loaded with tf.load_op_library (native code): the model only ' +
      'runs once whoever serves it loads that library, and should know where it comes from.',
    remediation: 'Identify the op library (TensorFlow Addons, TF Text, ...) and review its source before loading it.',
    references: [RAW_OPS],
  },
  'savedmodel-op',
  (fact, artifact) => {
    if (fact.libraryFunction || !isNamespacedCustomOp(fact.op)) return undefined;
    return {
      message: `${fact.op} (${fact.count} node(s)) is a custom op from an external library${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { op: fact.op, count: fact.count, node: fact.node, scope: fact.scope },
    };
  },
);

export const SAVEDMODEL_RULES: readonly ArtifactRule[] = [
  savedModelRiskyOp,
  savedModelCheckpointPath,
  savedModelCustomOp,
];
