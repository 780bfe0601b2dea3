/** safetensors header rules: whatever `safe_open` refuses, data hidden after the tensors, payloads in metadata. */
import type { Reference } from '../../core/finding.js';
import type { RuleMeta } from '../../core/rule.js';
import type { Severity } from '../../core/severity.js';
import { matchPayloadIndicators } from '../../knowledge/payload-indicators.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';
import { WEIGHT_RULES } from './weights.js';

const FORMAT_SPEC: Reference = {
  kind: 'url',
  id: 'safetensors format',
  url: 'https://github.com/huggingface/safetensors#format',
};
const REFUSED =
  'safetensors.safe_open refuses this file, so no loader built on it can use it; a tool that accepts it anyway ' +
  '(a scanner, a converter, a hand-written reader) is being fooled, and that difference is how a file hides something.';
const REPLACE = 'Do not use the file; download it again from its source, or re-save the tensors with safetensors.';

/** The header rules share their meta shape: high, security, the format spec as reference. */
function headerMeta(id: string, title: string, description: string, remediation = REPLACE): RuleMeta {
  return {
    id: `security/${id}`,
    pillar: 'security',
    severity: 'high',
    title,
    description: `${description} ${REFUSED}`,
    remediation,
    references: [FORMAT_SPEC],
  };
}

export const safetensorsHeaderInvalid: ArtifactRule = factRule(
  headerMeta(
    'safetensors-header-invalid',
    'safetensors header cannot be read as the format requires',
    'The 8-byte length must be at most 100,000,000 and fit in the file; the header must be UTF-8 JSON starting ' +
      'with "{"; __metadata__ must map strings to strings; each tensor needs a dtype, a shape of unsigned ' +
      'integers and two unsigned data offsets.',
  ),
  'safetensors-header-invalid',
  (fact, artifact) => ({
    message: `${fact.tensor ? `Tensor ${JSON.stringify(fact.tensor)}: ` : ''}${fact.detail}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { problem: fact.problem, ...(fact.tensor ? { tensor: fact.tensor } : {}) },
  }),
);

export const safetensorsDuplicateKey: ArtifactRule = factRule(
  headerMeta(
    'safetensors-duplicate-key',
    'safetensors header repeats a key',
    'The same key appears twice in one JSON object. JSON readers disagree on which copy wins (most keep the last, ' +
      'some the first), so two tools can see two different tensors or metadata under one name.',
  ),
  'safetensors-duplicate-key',
  (fact, artifact) => ({
    message: `Key ${JSON.stringify(fact.key)} appears more than once in ${fact.scope === 'header' ? 'the header' : JSON.stringify(fact.scope)}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { key: fact.key, scope: fact.scope },
  }),
);

export const safetensorsUnknownDtype: ArtifactRule = factRule(
  headerMeta(
    'safetensors-unknown-dtype',
    'safetensors tensor has a dtype the format does not define',
    'Only BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, the F8 variants, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64 ' +
      'and U64 exist; any other name makes the size of the tensor, and so the layout of the file, undefined.',
  ),
  'safetensors-unknown-dtype',
  (fact, artifact) => ({
    message: `Tensor ${JSON.stringify(fact.tensor)} has dtype ${JSON.stringify(fact.dtype)}, which safetensors does not define${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { tensor: fact.tensor, dtype: fact.dtype },
  }),
);

export const safetensorsLayoutInvalid: ArtifactRule = factRule(
  headerMeta(
    'safetensors-layout-invalid',
    'safetensors tensor byte ranges are inconsistent',
    "Each tensor's data_offsets must span exactly elements × dtype size bytes (whole bytes, no overflow), and " +
      'sorted by offset the ranges must tile the data section from 0: a hole can hide bytes no tensor owns, an ' +
      'overlap makes two tensors share (and one silently overwrite) the same bytes.',
  ),
  'safetensors-layout',
  (fact, artifact) => ({
    message: `Tensor ${JSON.stringify(fact.tensor)}: ${fact.detail}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { tensor: fact.tensor, problem: fact.problem },
  }),
);

export const safetensorsTruncated: ArtifactRule = factRule(
  headerMeta(
    'safetensors-truncated',
    'safetensors file is shorter than its header declares',
    'The data the header describes runs past the end of the file: an interrupted download or copy, or a file ' +
      'that was cut on purpose. The tensors named are missing some or all of their bytes.',
    'Download the file again and compare its digest with the one published by its source.',
  ),
  'safetensors-truncated',
  (fact, artifact) => {
    const names = fact.tensors.map((name) => JSON.stringify(name)).join(', ');
    const more = fact.cut > fact.tensors.length ? ` and ${fact.cut - fact.tensors.length} more` : '';
    return {
      message: `The header declares ${fact.expected} bytes but the file has ${fact.actual}: ${fact.cut} tensor(s) are cut short (${names}${more})${where(artifact)}`,
      ...at(artifact, fact.actual),
      evidence: { expected: fact.expected, actual: fact.actual, tensors: fact.tensors, cut: fact.cut },
    };
  },
);

export const safetensorsTrailingData: ArtifactRule = factRule(
  headerMeta(
    'safetensors-trailing-data',
    'Bytes follow the tensor data (polyglot file)',
    'The last tensor ends before the file does. No writer produces this; it is how one file is made to be a ' +
      'valid safetensors file and something else at once (a zip, a pickle), for a tool that reads from the end.',
  ),
  'safetensors-trailing-data',
  (fact, artifact) => ({
    message: `${fact.length} bytes follow the tensor data from offset ${fact.offset}${fact.looksLike && fact.looksLike !== 'unknown' ? `; they look like ${fact.looksLike}` : ''}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { length: fact.length, ...(fact.looksLike ? { looksLike: fact.looksLike } : {}) },
  }),
);

/**
 * Weaker signs in metadata than the payload indicators; they matter only because metadata is free text that
 * hubs and dashboards display and scripts read. (Candidates for src/knowledge once another format needs them.)
 */
const METADATA_MARKERS: readonly { id: string; pattern: RegExp; severity: Severity; reason: string }[] = [
  {
    id: 'html-script',
    pattern: /<\s*script\b|\bjavascript:|<[^>]+\son[a-z]+\s*=/i,
    severity: 'medium',
    reason: 'carries HTML or JavaScript that runs in any page rendering the metadata unescaped',
  },
  {
    id: 'shell-command',
    pattern: /\b(rm\s+-[rf]{1,2}\s|chmod\s+[0-7]{3,4}\b|(wget|curl)\s+\S*https?:|sudo\s+\S)/i,
    severity: 'medium',
    reason: 'holds a shell command line; tensor metadata has no use for one',
  },
  {
    id: 'url',
    pattern: /\b(https?|ftp):\/\/[^\s"'<>]+/i,
    severity: 'low',
    reason: 'points at a URL; harmless as text, worth knowing before a script follows it',
  },
];

export const safetensorsMetadataPayload: ArtifactRule = factRule(
  {
    id: 'security/safetensors-metadata-payload',
    pillar: 'security',
    severity: 'high',
    title: 'safetensors metadata carries code, commands or links',
    description:
      'Loading a safetensors file never runs its __metadata__, but a value that reads as code or a shell command ' +
      '(os.system, subprocess, eval/exec of decoded data, download-and-run) is a payload waiting for a careless ' +
      'script: high. HTML / JavaScript and plain shell command lines are medium (stored XSS in hubs and dashboards, ' +
      'staged commands); bare URLs are low.',
    remediation:
      'Find out who wrote the metadata and which tool reads it; strip it (re-save the tensors with metadata you ' +
      'control) before the model is shared further.',
    references: [{ kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' }, FORMAT_SPEC],
  },
  'safetensors-metadata',
  (fact, artifact) => {
    const payloads = matchPayloadIndicators(fact.value);
    const markers = METADATA_MARKERS.filter((marker) => marker.pattern.test(fact.value));
    const found = [
      ...payloads.map(({ id, reason }) => ({ id, reason, severity: 'high' as Severity })),
      ...markers.map(({ id, reason, severity }) => ({ id, reason, severity })),
    ];
    if (found.length === 0) return undefined;
    const excerpt = fact.value.length > 200 ? `${fact.value.slice(0, 200)}…` : fact.value;
    return {
      message: `__metadata__ ${JSON.stringify(fact.key)} ${found[0].reason}: ${JSON.stringify(excerpt)}${where(artifact)}`,
      ...at(artifact, fact.offset),
      severity: found[0].severity,
      evidence: { key: fact.key, indicators: found.map((item) => item.id), excerpt },
    };
  },
);

export const SAFETENSORS_RULES: readonly ArtifactRule[] = [
  safetensorsHeaderInvalid,
  safetensorsDuplicateKey,
  safetensorsUnknownDtype,
  safetensorsLayoutInvalid,
  safetensorsTruncated,
  safetensorsTrailingData,
  safetensorsMetadataPayload,
  ...WEIGHT_RULES,
];
