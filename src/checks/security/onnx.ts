import type { Reference } from '../../core/finding.js';
import { type Artifact, factsOf } from '../../formats/facts.js';
import { knownExtensionDomain, pythonOp, standardDomain } from '../../knowledge/onnx-domains.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

/** Producer and opsets of the model, attached to every ONNX finding's evidence. */
function modelEvidence(artifact: Artifact): Record<string, unknown> {
  const model = factsOf(artifact, 'onnx-model')[0];
  if (!model) return {};
  return {
    producer: [model.producer, model.producerVersion].filter(Boolean).join(' ') || undefined,
    opsets: model.opsets.map((opset) => `${opset.domain || 'ai.onnx'}:${opset.version}`),
  };
}

const CWE_94 = { kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' } as const;
const CWE_22 = { kind: 'cwe', id: 'CWE-22', url: 'https://cwe.mitre.org/data/definitions/22.html' } as const;
const EXTERNAL_DATA_DOC: Reference = {
  kind: 'doc',
  id: 'ONNX external data',
  url: 'https://onnx.ai/onnx/repo-docs/ExternalData.html',
};

export const onnxPythonOp: ArtifactRule = factRule(
  {
    id: 'security/onnx-python-op',
    pillar: 'security',
    severity: 'critical',
    title: 'ONNX node calls into Python',
    description:
      'The operator is a Python hook (PyOp, PythonOp, onnxruntime-extensions Python ops): a runtime that has the ' +
      'hook enabled imports and calls the Python the model names when the graph runs.',
    remediation:
      'Do not run this model with Python custom ops enabled; ask the producer for a graph of standard operators.',
    references: [CWE_94],
  },
  'onnx-operator',
  (fact, artifact) => {
    const entry = pythonOp(fact.domain, fact.opType);
    if (!entry) return undefined;
    return {
      message: `${fact.count} node(s) of ${fact.domain || 'ai.onnx'}::${fact.opType} (first: ${JSON.stringify(fact.node)} in ${fact.graph}): ${entry.reason}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { domain: fact.domain, opType: fact.opType, attributes: fact.attributes, ...modelEvidence(artifact) },
    };
  },
);

export const onnxCustomDomain: ArtifactRule = factRule(
  {
    id: 'security/onnx-custom-domain',
    pillar: 'security',
    severity: 'medium',
    title: 'ONNX node uses an operator domain outside the standard sets',
    description:
      'Nodes outside the ONNX domains and ONNX Runtime contrib ops only run once a custom-op library (native code) ' +
      'is registered: whoever runs the model must obtain and trust that library. Well-known extension domains ' +
      '(onnxruntime-extensions, ATen fallback) are reported at low severity.',
    remediation: 'Find out which library implements the domain, and where it comes from, before registering it.',
    references: [
      {
        kind: 'url',
        id: 'ONNX Runtime custom operators',
        url: 'https://onnxruntime.ai/docs/reference/operators/add-custom-op.html',
      },
    ],
  },
  'onnx-operator',
  (fact, artifact) => {
    if (fact.localFunction || standardDomain(fact.domain) || pythonOp(fact.domain, fact.opType)) return undefined;
    const known = knownExtensionDomain(fact.domain);
    return {
      message: `${fact.count} node(s) of ${fact.domain}::${fact.opType} (first: ${JSON.stringify(fact.node)} in ${fact.graph})${known ? `: ${known.reason}` : ': unknown domain, needs a custom-op library'}${where(artifact)}`,
      ...at(artifact, fact.offset),
      severity: known ? 'low' : 'medium',
      evidence: { domain: fact.domain, opType: fact.opType, ...modelEvidence(artifact) },
    };
  },
);

export const onnxExternalDataEscape: ArtifactRule = factRule(
  {
    id: 'security/onnx-external-data-escape',
    pillar: 'security',
    severity: 'critical',
    title: 'ONNX external data points outside the model folder',
    description:
      'An external-data location that is absolute, climbs with `..`, uses backslashes or a NUL byte, or passes ' +
      'through a symbolic or hard link lets loading read (and with onnx.save, write) files outside the model ' +
      'folder (CVE-2024-27318, CVE-2025-51480).',
    remediation: 'Do not load the model; external data must be plain files inside the model folder.',
    references: [
      CWE_22,
      { kind: 'cve', id: 'CVE-2024-27318', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-27318' },
      { kind: 'cve', id: 'CVE-2025-51480', url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-51480' },
      EXTERNAL_DATA_DOC,
    ],
  },
  'onnx-external-data',
  (fact, artifact) => {
    const linked = fact.state === 'symlink' || fact.state === 'hardlink';
    if (!fact.pathIssue && !linked) return undefined;
    const why = fact.pathIssue ?? fact.detail ?? fact.state;
    return {
      message: `Tensor ${JSON.stringify(fact.tensor)} (${fact.graph}) reads external data from ${JSON.stringify(fact.location)}: ${why}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: {
        tensor: fact.tensor,
        location: fact.location,
        reason: why,
        state: fact.state,
        ...modelEvidence(artifact),
      },
    };
  },
);

const MISSING_STATES = new Set(['missing', 'too-short', 'not-a-file', 'bad-range']);

export const onnxExternalDataMissing: ArtifactRule = factRule(
  {
    id: 'security/onnx-external-data-missing',
    pillar: 'security',
    severity: 'high',
    title: 'ONNX external data is missing or shorter than declared',
    description:
      'The tensor stores its values in a file next to the model, but that file is absent, not a regular file, ' +
      'or ends before offset + length: the model cannot load as shipped, or loads different bytes than its ' +
      'producer wrote.',
    remediation: 'Download the complete model (all external-data files) and audit it again.',
    references: [EXTERNAL_DATA_DOC],
  },
  'onnx-external-data',
  (fact, artifact) => {
    if (fact.pathIssue || !MISSING_STATES.has(fact.state)) return undefined;
    return {
      message: `Tensor ${JSON.stringify(fact.tensor)} (${fact.graph}) needs ${JSON.stringify(fact.location)}: ${fact.state}${fact.detail ? ` (${fact.detail})` : ''}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: {
        tensor: fact.tensor,
        location: fact.location,
        state: fact.state,
        dataOffset: fact.dataOffset,
        dataLength: fact.dataLength,
        fileSize: fact.fileSize,
        ...modelEvidence(artifact),
      },
    };
  },
);

export const ONNX_RULES: readonly ArtifactRule[] = [
  onnxPythonOp,
  onnxCustomDomain,
  onnxExternalDataEscape,
  onnxExternalDataMissing,
];
