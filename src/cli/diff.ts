/** `assay diff A B`: what changed between two model folders (or files), two Hub revisions, or two JSON reports. */
import { readFile, stat } from 'node:fs/promises';
import { BUILT_IN_MODEL_RULES, BUILT_IN_RULES } from '../assay.js';
import { judge } from '../core/audit.js';
import { DEFAULT_POLICY } from '../core/policy.js';
import { Report } from '../core/report.js';
import type { Artifact } from '../formats/facts.js';
import {
  type DiffSide,
  diffSides,
  type LicenceFileChange,
  type ModelDiff,
  sideFromReport,
  sideFromSnapshot,
} from '../provenance/diff.js';
import { LOCK_FILE_NAME } from '../provenance/lock.js';
import { snapshotLocal } from '../targets/local.js';
import { HUB_PREFIX, resolveTarget } from '../targets/resolve.js';

export const DIFF_EXIT = { identical: 0, different: 1, error: 2 } as const;

export interface DiffOptions {
  format?: 'text' | 'json';
  quiet?: boolean;
}

export class DiffInputError extends Error {}

/** Reports larger than this are not read as reports (a model file ending in .json is scanned instead). */
const MAX_REPORT_BYTES = 256 << 20;

/**
 * A `.json` file holding an assay report is read as one; `hf://org/name@revision` is resolved, downloaded into the
 * Hugging Face cache and verified (as `assay scan` does); anything else is snapshotted and scanned.
 */
export async function loadSide(path: string): Promise<DiffSide> {
  if (path.startsWith(HUB_PREFIX)) {
    // Files whose bytes did not match the Hub are left out of the folder: they show as removed, with a finding.
    const hub = await resolveTarget(path);
    return scanSide(path, hub.path, hub.extraArtifacts);
  }
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() && path.toLowerCase().endsWith('.json') && info.size <= MAX_REPORT_BYTES) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      json = undefined;
    }
    if (json && typeof json === 'object' && 'schemaVersion' in json && 'findings' in json) {
      const report = Report.safeParse(json);
      if (!report.success) {
        const issue = report.error.issues[0];
        throw new DiffInputError(
          `${path} looks like an assay report but does not validate (${issue.path.join('.')}: ${issue.message}); ` +
            'write it again with `assay scan --format json`',
        );
      }
      return sideFromReport(path, report.data);
    }
  }
  return scanSide(path, path, []);
}

async function scanSide(label: string, folder: string, extraArtifacts: readonly Artifact[]): Promise<DiffSide> {
  // A lock written inside the folder is tool state, not part of the model.
  const snapshot = await snapshotLocal(folder, { ignore: [LOCK_FILE_NAME] });
  snapshot.artifacts.push(...extraArtifacts);
  const findings = judge(snapshot.artifacts, {
    policy: DEFAULT_POLICY,
    rules: BUILT_IN_RULES.all(),
    modelRules: BUILT_IN_MODEL_RULES.all(),
  });
  return sideFromSnapshot(label, snapshot, findings);
}

export async function runDiff(a: string, b: string, options: DiffOptions = {}): Promise<number> {
  let diff: ModelDiff;
  try {
    diff = await diffSides(await loadSide(a), await loadSide(b));
  } catch (error) {
    if (error instanceof DiffInputError) {
      process.stderr.write(`assay: ${error.message}\n`);
      return DIFF_EXIT.error;
    }
    throw error;
  }
  if (!options.quiet) {
    process.stdout.write(options.format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff));
  }
  return diff.identical ? DIFF_EXIT.identical : DIFF_EXIT.different;
}

const shape = (dims: readonly number[]) => `[${dims.join(', ')}]`;

export function renderDiff(diff: ModelDiff): string {
  const lines = [`assay diff ${diff.a.label} -> ${diff.b.label}`];
  const section = (title: string, body: string[]) => {
    if (body.length > 0) lines.push('', title, ...body.map((line) => `  ${line}`));
  };
  const { files, tensors } = diff;
  section('files', [
    ...files.added.map((file) => `added    ${file.path} (${file.size} bytes, ${file.format})`),
    ...files.removed.map((file) => `removed  ${file.path}`),
    ...files.changed.map((change) => `changed  ${change.path} (${change.fields.join(', ')})`),
  ]);
  section('tensors', [
    ...tensors.added.map((t) => `added     ${t.name} ${t.dtype} ${shape(t.shape)} in ${t.file}`),
    ...tensors.removed.map((t) => `removed   ${t.name} ${t.dtype} ${shape(t.shape)} from ${t.file}`),
    ...tensors.reshaped.map((t) => `reshaped  ${t.name} ${shape(t.before.shape)} -> ${shape(t.after.shape)}`),
    ...tensors.retyped.map((t) => `retyped   ${t.name} ${t.before.dtype} -> ${t.after.dtype}`),
    ...tensors.bytesChanged.map(
      (t) => `bytes     ${t.name} ${t.bytesChanged === null ? '(could not be compared)' : 'changed'}`,
    ),
    ...tensors.moved.map((t) => `moved     ${t.name} ${t.before.file} -> ${t.after.file}`),
  ]);
  for (const config of diff.configs) {
    section(config.file, [
      ...config.added.map((k) => `added    ${k.key} = ${k.after}`),
      ...config.removed.map((k) => `removed  ${k.key} (was ${k.before})`),
      ...config.changed.map((k) => `changed  ${k.key}: ${k.before} -> ${k.after}`),
    ]);
  }
  if (diff.card) {
    const { card } = diff;
    section(`${card.file} (card front matter)`, [
      ...(card.before === card.after ? [] : [`card     ${card.before} -> ${card.after}`]),
      ...card.added.map((k) => `added    ${k.key} = ${k.after}`),
      ...card.removed.map((k) => `removed  ${k.key} (was ${k.before})`),
      ...card.changed.map((k) => `changed  ${k.key}: ${k.before} -> ${k.after}`),
    ]);
  }
  const text = (change: LicenceFileChange) => {
    if (!change.text) return '';
    const { linesRemoved, linesAdded, whitespaceOnly } = change.text;
    return whitespaceOnly ? ' (whitespace only)' : ` (${linesRemoved} line(s) removed, ${linesAdded} added)`;
  };
  section('licence', [
    ...diff.licence.card.map((k) => `card     ${k.key}: ${k.before ?? '(none)'} -> ${k.after ?? '(none)'}`),
    ...diff.licence.files.map((change) => `${change.change.padEnd(8)} ${change.path}${text(change)}`),
  ]);
  if (diff.findings) {
    const where = (f: { file?: string; member?: string }) => [f.file, f.member].filter(Boolean).join('!/');
    section('findings', [
      ...diff.findings.new.map((f) => `new    ${f.severity} ${f.ruleId} ${where(f)}: ${f.message}`),
      ...diff.findings.fixed.map((f) => `fixed  ${f.severity} ${f.ruleId} ${where(f)}: ${f.message}`),
    ]);
  }
  section('notes', diff.notes);
  lines.push('', diff.identical ? 'IDENTICAL' : 'DIFFERENT');
  return `${lines.join('\n')}\n`;
}
