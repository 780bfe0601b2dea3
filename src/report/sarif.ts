import { createHash } from 'node:crypto';
import type { Finding, Pillar, Reference } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import type { Severity } from '../core/severity.js';
import { formatOffset, sortFindings } from './text.js';

/*
 * SARIF 2.1.0, shaped for GitHub code scanning (the consumer most users will have), valid against the OASIS schema.
 *
 * Choices, and why:
 * - Paths. GitHub places an alert by `artifactLocation.uri` relative to the repository root, while report paths are
 *   relative to the audited target. When the target was given as a relative path (the usual `assay scan models/x` in
 *   CI, run from the checkout) the uri is that path joined with the file path, under uriBaseId `%SRCROOT%`. An
 *   absolute target (or one with `..`) cannot be made repository-relative without knowing the checkout, so the uri
 *   stays target-relative under uriBaseId `TARGETROOT`, which `originalUriBaseIds` maps to a file:// URI when the
 *   target is absolute. Segments are percent-encoded one by one, so spaces, `#`, `?` and `:` survive as file names.
 * - Regions. Model files are binary, and GitHub does not use `byteOffset` (it needs `startLine` to show an alert on
 *   a file), so every located result carries `startLine: 1` as its anchor, plus `byteOffset` when the offset is an
 *   offset into that file. An offset inside a container member (a pickle inside a zip) is an offset into the
 *   *decompressed member*, not into the file on disk: writing it as the file's byteOffset would point viewers at the
 *   wrong bytes, so it goes into a logical location (fullyQualifiedName = the member path) and the properties.
 * - Members. GitHub shows `message.text` and ignores logical locations, so when the rule's message does not already
 *   name the member, the member (and the offset inside it) is appended to the message in brackets.
 * - Findings with no file (about the target as a whole) have no location: inventing one would be worse. Viewers
 *   list them; GitHub code scanning may drop them, which is why the text, HTML and Markdown reports exist.
 * - Rules. Every rule that ran is in tool.driver.rules, sorted by id; a finding whose rule metadata was not passed
 *   in gets a descriptor built from the finding, so every result has a ruleIndex. Rules of the security,
 *   supply-chain and provenance pillars are tagged `security`: GitHub only applies `security-severity` to those.
 *   CWE references become `external/cwe/cwe-N` tags, which GitHub shows on the alert.
 * - Fingerprints. `assayLocationHash/v1` is a sha256 of rule id, file, member and offset (not the message, whose
 *   wording may change). The same value, shortened, is given as `primaryLocationLineHash`: without it the upload
 *   action hashes "lines" of the file itself, which means nothing for (and reads all of) a multi-GB binary.
 * - Suppressed findings stay in the log with an external, accepted suppression carrying the policy's reason.
 */

const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/assay/assay';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, Level> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's scale: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

const SECURITY_PILLARS: ReadonlySet<Pillar> = new Set<Pillar>(['security', 'supply-chain', 'provenance']);

export function sarifLevel(severity: Severity): Level {
  return LEVEL[severity];
}

export function securitySeverity(severity: Severity): string {
  return SECURITY_SEVERITY[severity];
}

// --- paths -------------------------------------------------------------------------------------------------------

function segments(path: string): string[] {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.');
}

/** A relative URI reference: forward slashes, each segment percent-encoded (so `:` never reads as a scheme). */
export function encodePath(path: string): string {
  return segments(path).map(encodeURIComponent).join('/');
}

interface UriBase {
  /** Segments put in front of every target-relative path. */
  prefix: string[];
  uriBaseId: string;
  /** file:// URI of the target root, when it is known and absolute. */
  originalUri?: string;
}

function posixDirname(path: string): string {
  const normal = path.replace(/\\/g, '/').replace(/\/+$/, '');
  const slash = normal.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : normal.slice(0, slash);
}

function uriBase(target: Report['target']): UriBase {
  const root = (target.kind === 'directory' ? target.path : posixDirname(target.path)).replace(/\\/g, '/');
  const drive = /^[A-Za-z]:\//.test(root);
  if (root.startsWith('/') || drive) {
    const encoded = segments(root)
      .map((segment, index) => (drive && index === 0 ? segment : encodeURIComponent(segment)))
      .join('/');
    return { prefix: [], uriBaseId: 'TARGETROOT', originalUri: `file:///${encoded}${encoded ? '/' : ''}` };
  }
  const prefix = segments(root);
  if (prefix.includes('..')) return { prefix: [], uriBaseId: 'TARGETROOT' };
  return { prefix, uriBaseId: '%SRCROOT%' };
}

function artifactUri(base: UriBase, file: string): string {
  return [...base.prefix, ...segments(file)].map(encodeURIComponent).join('/');
}

// --- rules -------------------------------------------------------------------------------------------------------

function cweTags(references: readonly Reference[]): string[] {
  const tags: string[] = [];
  for (const reference of references) {
    const match = reference.kind === 'cwe' ? /^CWE-(\d+)$/i.exec(reference.id) : null;
    if (match) tags.push(`external/cwe/cwe-${match[1]}`);
  }
  return tags;
}

function tags(pillar: Pillar, references: readonly Reference[]): string[] {
  const all = [...(SECURITY_PILLARS.has(pillar) ? ['security'] : []), pillar, ...cweTags(references)];
  return [...new Set(all)];
}

function helpMarkdown(remediation: string, references: readonly Reference[]): string {
  const lines = [remediation];
  if (references.length > 0) {
    lines.push('', '**References**', '');
    for (const reference of references) {
      lines.push(reference.url ? `- [${reference.id}](${reference.url})` : `- ${reference.id}`);
    }
  }
  return lines.join('\n');
}

function ruleDescriptor(meta: RuleMeta) {
  return {
    id: meta.id,
    name: meta.title,
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.description || meta.title },
    help: { text: meta.remediation, markdown: helpMarkdown(meta.remediation, meta.references) },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: {
      pillar: meta.pillar,
      severity: meta.severity,
      'security-severity': SECURITY_SEVERITY[meta.severity],
      tags: tags(meta.pillar, meta.references),
    },
  };
}

/** Metadata for a rule the caller did not describe, taken from one of its findings. */
function metaFromFinding(finding: Finding): RuleMeta {
  return {
    id: finding.ruleId,
    pillar: finding.pillar,
    severity: finding.severity,
    title: finding.title,
    description: finding.title,
    remediation: finding.remediation,
    references: finding.references,
  };
}

// --- results -----------------------------------------------------------------------------------------------------

/** Stable identity of a finding across runs: rule, file, member and offset. */
export function findingFingerprint(finding: Finding): string {
  const key = JSON.stringify([
    finding.ruleId,
    finding.file ?? '',
    finding.location?.member ?? '',
    finding.location?.offset ?? null,
  ]);
  return createHash('sha256').update(key).digest('hex');
}

function messageText(finding: Finding): string {
  const text = finding.message || finding.title;
  const member = finding.location?.member;
  if (member === undefined) return text;
  const parts: string[] = [];
  if (!text.includes(member)) parts.push(`member ${member}`);
  if (finding.location?.offset !== undefined) parts.push(`offset ${formatOffset(finding.location.offset)}`);
  return parts.length > 0 ? `${text} [${parts.join(', ')}]` : text;
}

function location(finding: Finding, base: UriBase, artifactIndex: ReadonlyMap<string, number>) {
  if (finding.file === undefined) return undefined;
  const { member, offset, line } = finding.location ?? {};
  const index = artifactIndex.get(finding.file);
  const region: { startLine: number; byteOffset?: number } = { startLine: member === undefined ? (line ?? 1) : 1 };
  if (member === undefined && offset !== undefined) region.byteOffset = offset;
  return {
    physicalLocation: {
      artifactLocation: {
        uri: artifactUri(base, finding.file),
        uriBaseId: base.uriBaseId,
        ...(index === undefined ? {} : { index }),
      },
      region,
    },
    ...(member === undefined
      ? {}
      : {
          logicalLocations: [
            { name: member.split('!/').at(-1)?.split('/').at(-1) || member, fullyQualifiedName: member },
          ],
        }),
  };
}

function result(
  finding: Finding,
  ruleIndex: number,
  base: UriBase,
  artifactIndex: ReadonlyMap<string, number>,
): Record<string, unknown> {
  const fingerprint = findingFingerprint(finding);
  const where = location(finding, base, artifactIndex);
  const { member, offset, line } = finding.location ?? {};
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: messageText(finding) },
    ...(where ? { locations: [where] } : {}),
    partialFingerprints: {
      'assayLocationHash/v1': fingerprint,
      primaryLocationLineHash: `${fingerprint.slice(0, 16)}:1`,
    },
    ...(finding.suppressed
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: finding.suppressed.reason }] }
      : {}),
    properties: {
      severity: finding.severity,
      pillar: finding.pillar,
      title: finding.title,
      ...(member === undefined ? {} : { member }),
      ...(offset === undefined ? {} : { offset }),
      ...(line === undefined ? {} : { line }),
      ...(finding.evidence === undefined ? {} : { evidence: finding.evidence }),
      ...(finding.references.length > 0 ? { references: finding.references } : {}),
      'security-severity': SECURITY_SEVERITY[finding.severity],
    },
  };
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** SARIF 2.1.0 log with one run. */
export function renderSarif(report: Report, rules: RuleMeta[]): string {
  const base = uriBase(report.target);
  const findings = sortFindings(report.findings);

  const metas = new Map<string, RuleMeta>();
  for (const meta of rules) if (!metas.has(meta.id)) metas.set(meta.id, meta);
  for (const finding of findings) if (!metas.has(finding.ruleId)) metas.set(finding.ruleId, metaFromFinding(finding));
  const ordered = [...metas.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ruleIndex = new Map(ordered.map((meta, index) => [meta.id, index]));

  const files = [...report.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const artifactIndex = new Map(files.map((file, index) => [file.path, index]));

  const invocation: Record<string, unknown> = { executionSuccessful: true };
  if (DATE_TIME.test(report.startedAt)) invocation.startTimeUtc = report.startedAt;
  if (DATE_TIME.test(report.finishedAt)) invocation.endTimeUtc = report.finishedAt;

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'assay',
            version: report.tool.version,
            informationUri: INFORMATION_URI,
            rules: ordered.map(ruleDescriptor),
          },
        },
        invocations: [invocation],
        ...(base.originalUri ? { originalUriBaseIds: { [base.uriBaseId]: { uri: base.originalUri } } } : {}),
        artifacts: files.map((file) => ({
          location: { uri: artifactUri(base, file.path), uriBaseId: base.uriBaseId },
          length: file.size,
          roles: ['analysisTarget'],
          hashes: { 'sha-256': file.sha256 },
          properties: { format: file.format },
        })),
        results: findings.map((finding) =>
          result(finding, ruleIndex.get(finding.ruleId) as number, base, artifactIndex),
        ),
        properties: {
          target: report.target,
          verdict: report.verdict,
          gate: report.gate,
          summary: report.summary,
          schemaVersion: report.schemaVersion,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
