import type { Severity } from '../../core/severity.js';
import { factsOf } from '../../formats/facts.js';
import type { GgufAnomalyCode } from '../../formats/gguf.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

/** How much each structural anomaly matters, and why. */
const ANOMALIES: Record<GgufAnomalyCode, { severity: Severity; why: string }> = {
  'tensor-out-of-bounds': { severity: 'high', why: 'a loader that trusts the header reads past the end of the file' },
  'tensor-too-large': {
    severity: 'high',
    why: 'the declared shape is larger than the whole file: the classic setup for a size overflow in the loader',
  },
  'tensor-overlap': { severity: 'high', why: 'two tensors share bytes; no writer produces that' },
  'tensor-misaligned': { severity: 'high', why: 'ggml requires aligned tensor data; loaders reject or mis-read it' },
  'bad-alignment': { severity: 'high', why: 'an alignment that is not a power of two breaks every offset computation' },
  'unknown-ggml-type': { severity: 'high', why: 'no ggml type has this id: its size cannot be known' },
  'removed-ggml-type': { severity: 'high', why: 'this ggml type was removed; current loaders refuse it' },
  'row-not-block-multiple': {
    severity: 'high',
    why: 'quantised rows must hold whole blocks; sizes computed from it are wrong',
  },
  'too-many-dims': { severity: 'high', why: 'ggml tensors have at most 4 dimensions' },
  'duplicate-tensor': { severity: 'high', why: 'two tensors with one name: loaders disagree on which one is used' },
  'duplicate-key': { severity: 'medium', why: 'two values for one key: loaders disagree on which one is used' },
  'tensor-name-too-long': { severity: 'medium', why: 'ggml stores tensor names in 64 bytes' },
  'bad-bool': {
    severity: 'medium',
    why: 'booleans are 0 or 1; other values are read differently by different loaders',
  },
  'metadata-type': { severity: 'medium', why: 'a well-known key has the wrong type' },
  'data-gap': { severity: 'medium', why: 'bytes between tensors that no tensor owns can carry a hidden payload' },
  'trailing-bytes': {
    severity: 'medium',
    why: 'bytes after the last tensor that no tensor owns can carry a hidden payload',
  },
  'key-not-ascii': { severity: 'low', why: 'the spec requires ASCII keys' },
};

export const ggufStructure: ArtifactRule = factRule(
  {
    id: 'security/gguf-structure',
    pillar: 'security',
    severity: 'high',
    title: 'GGUF header or tensor layout is inconsistent',
    description:
      "The GGUF header, metadata or tensor table breaks the format's rules: tensors out of the file or overlapping, " +
      'sizes that do not follow from the ggml type, bad alignment, duplicate keys or tensors, bytes no tensor owns. ' +
      "Loaders that trust the header have had memory-safety bugs on exactly such files (llama.cpp's GGUF parser: " +
      'CVE-2024-21802 and later size-overflow fixes), and unowned bytes can carry a payload.',
    remediation:
      'Do not load the file; re-download or re-convert it from the original weights with a current llama.cpp.',
    references: [
      { kind: 'cve', id: 'CVE-2024-21802', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-21802' },
      { kind: 'cwe', id: 'CWE-787', url: 'https://cwe.mitre.org/data/definitions/787.html' },
      { kind: 'url', id: 'GGUF specification', url: 'https://github.com/ggml-org/ggml/blob/master/docs/gguf.md' },
    ],
  },
  'gguf-anomaly',
  (fact, artifact) => {
    const { severity, why } = ANOMALIES[fact.code];
    const subject =
      fact.tensor !== undefined ? ` (tensor ${JSON.stringify(fact.tensor)})` : fact.key ? ` (${fact.key})` : '';
    return {
      severity,
      message: `${fact.detail}${subject}: ${why}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: { code: fact.code, detail: fact.detail, key: fact.key, tensor: fact.tensor },
    };
  },
);

export const ggufMetadata: ArtifactRule = {
  meta: {
    id: 'security/gguf-metadata',
    pillar: 'security',
    severity: 'info',
    title: 'GGUF model metadata',
    description:
      'What a GGUF file says about itself: architecture, name, licence, base models, quantisation (`general.file_type` ' +
      'and the tensor types), parameter count and source repositories. Informational: the report has no GGUF section ' +
      "yet, so the metadata travels in this finding's evidence for compliance and provenance checks.",
    remediation: 'Nothing to fix; compare the licence and base models with what you intend to use the model for.',
    references: [
      { kind: 'url', id: 'GGUF specification', url: 'https://github.com/ggml-org/ggml/blob/master/docs/gguf.md' },
    ],
  },
  *check(artifact) {
    const [header] = factsOf(artifact, 'gguf-header');
    const [metadata] = factsOf(artifact, 'gguf-metadata');
    if (!header || !metadata) return;
    const { kind: _kind, ...fields } = metadata;
    const describe = [
      metadata.architecture && `${metadata.architecture} model`,
      metadata.name && JSON.stringify(metadata.name),
      metadata.license && `licence ${metadata.license}`,
      metadata.fileTypeName && `quantised ${metadata.fileTypeName}`,
      metadata.baseModels.length > 0 && `based on ${metadata.baseModels.map((model) => model.name ?? '?').join(', ')}`,
    ].filter(Boolean);
    yield {
      message: `GGUF v${header.version} with ${header.tensorCount} tensors and ${header.kvCount} metadata keys${describe.length > 0 ? `: ${describe.join(', ')}` : ''}${where(artifact)}`,
      ...at(artifact),
      evidence: {
        version: header.version,
        endianness: header.endianness,
        tensorCount: header.tensorCount,
        kvCount: header.kvCount,
        alignment: header.alignment,
        dataOffset: header.dataOffset,
        ...fields,
      },
    };
  },
};

export const GGUF_RULES: readonly ArtifactRule[] = [ggufStructure, ggufMetadata];
