/**
 * What changed between two versions of a model: files, safetensors tensors (declared layout from the parsed headers,
 * bytes from per-tensor digests), config / tokenizer keys, the model card's front matter, the licence (the card's
 * licence fields and the LICENSE / NOTICE / USE_POLICY files), and findings. Sides come from snapshots (folders,
 * files, Hub revisions downloaded into the cache) or from reports written by `assay scan --format json` (files,
 * findings and the card's claims; no file contents).
 */
import { createHash, type Hash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Finding } from '../core/finding.js';
import type { FileEntry, Report } from '../core/report.js';
import { buildModelSection, type ModelSection } from '../core/sections/model.js';
import { factsOf } from '../formats/facts.js';
import { isLicenceFileName } from '../formats/licence-text.js';
import { readRangeTransient } from '../formats/source.js';
import type { Snapshot } from '../targets/local.js';
import { compareFiles, type LockComparison } from './lock.js';

/** Files whose keys are compared one by one (matched by base name, in any folder). */
export const CONFIG_FILES = new Set(['config.json', 'tokenizer_config.json', 'generation_config.json']);
/** JSON files larger than this are compared as whole files only. */
export const MAX_CONFIG_BYTES = 16 << 20;
const MAX_CONFIG_KEYS = 20_000;
const MAX_VALUE_CHARS = 80;
/** Licence files larger than this are compared by digest only. */
export const MAX_LICENCE_TEXT_BYTES = 1 << 20;

export interface TensorLayout {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range relative to the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsLayout {
  dataStart: number;
  tensors: TensorLayout[];
}

export interface DiffSide {
  /** What the user named: a folder, a file or a report. */
  label: string;
  kind: 'directory' | 'file' | 'report';
  files: FileEntry[];
  /** For snapshots: where the bytes are (a folder, or the file itself). */
  root?: string;
  /** Parsed safetensors headers by file path (snapshots only). */
  safetensors?: Map<string, SafetensorsLayout>;
  findings?: Finding[];
  /** What the card claims; undefined for a report written before reports carried it. */
  model?: ModelSection;
}

export function sideFromSnapshot(label: string, snapshot: Snapshot, findings?: Finding[]): DiffSide {
  const safetensors = new Map<string, SafetensorsLayout>();
  for (const artifact of snapshot.artifacts) {
    if (artifact.depth !== 0 || artifact.member !== undefined || artifact.format !== 'safetensors') continue;
    const header = factsOf(artifact, 'safetensors-header')[0];
    if (!header) continue;
    const tensors = factsOf(artifact, 'safetensors-tensor').map(({ name, dtype, shape, begin, end }) => ({
      name,
      dtype,
      shape,
      begin,
      end,
    }));
    safetensors.set(artifact.file, { dataStart: header.dataStart, tensors });
  }
  const { model } = buildModelSection(snapshot.artifacts);
  return { label, kind: snapshot.kind, files: snapshot.files, root: snapshot.root, safetensors, findings, model };
}

export function sideFromReport(label: string, report: Report): DiffSide {
  return { label, kind: 'report', files: report.files, findings: report.findings, model: report.model };
}

export interface TensorRef {
  name: string;
  file: string;
  dtype: string;
  shape: number[];
}

export interface TensorChange {
  name: string;
  before: TensorRef;
  after: TensorRef;
  /** Whether the tensor's bytes differ; null when they could not be compared. */
  bytesChanged: boolean | null;
}

export interface TensorDiff {
  added: TensorRef[];
  removed: TensorRef[];
  reshaped: TensorChange[];
  retyped: TensorChange[];
  /** Same name, dtype and shape, different bytes. */
  bytesChanged: TensorChange[];
  /** Same name, layout and bytes, but now in another file (re-sharded). */
  moved: TensorChange[];
}

export interface KeyChange {
  key: string;
  before?: string;
  after?: string;
}

export interface ConfigDiff {
  file: string;
  added: KeyChange[];
  removed: KeyChange[];
  changed: KeyChange[];
}

export interface CardDiff {
  /** The card on side B, else on side A. */
  file: string;
  /** `absent` when the side has no card at its top level. */
  before: CardStatus;
  after: CardStatus;
  /** Front matter keys (nested keys dotted), as in config diffs. */
  added: KeyChange[];
  removed: KeyChange[];
  changed: KeyChange[];
}

export type CardStatus = NonNullable<ModelSection['card']>['status'] | 'absent';

export interface LicenceFileChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** For a changed text both sides hold: lines only in A / only in B, and whether only whitespace differs. */
  text?: { linesRemoved: number; linesAdded: number; whitespaceOnly: boolean };
}

export interface LicenceDiff {
  /** The card's `license`, `license_name` and `license_link`, as written. */
  card: KeyChange[];
  /** LICENSE, NOTICE, USE_POLICY, COPYING files at the top of the model. */
  files: LicenceFileChange[];
}

export interface FindingRef {
  ruleId: string;
  severity: string;
  file?: string;
  member?: string;
  message: string;
}

export interface ModelDiff {
  a: { label: string; kind: DiffSide['kind'] };
  b: { label: string; kind: DiffSide['kind'] };
  identical: boolean;
  files: LockComparison;
  tensors: TensorDiff;
  configs: ConfigDiff[];
  /** Absent when neither side has a card, or the card did not change. */
  card?: CardDiff;
  licence: LicenceDiff;
  /** Absent when a side has no findings (never happens from the CLI, which scans folders). */
  findings?: { new: FindingRef[]; fixed: FindingRef[] };
  /** What could not be compared and why. */
  notes: string[];
}

/** Compares two sides; reads bytes only of safetensors and config files that differ. */
export async function diffSides(a: DiffSide, b: DiffSide): Promise<ModelDiff> {
  const notes: string[] = [];
  const files = compareFiles(a.files, b.files);
  const tensors = await diffTensorsOf(a, b, notes);
  const configs: ConfigDiff[] = [];
  for (const change of files.changed) {
    if (!CONFIG_FILES.has(basename(change.path))) continue;
    if (!a.root || !b.root) {
      notes.push(`${change.path}: keys not compared (a report holds digests, not contents)`);
      continue;
    }
    const before = await readJsonObject(bytesPath(a, change.path), change.before.size);
    const after = await readJsonObject(bytesPath(b, change.path), change.after.size);
    if (typeof before === 'string' || typeof after === 'string') {
      notes.push(`${change.path}: keys not compared (${typeof before === 'string' ? before : after})`);
      continue;
    }
    configs.push({ file: change.path, ...diffJson(before, after) });
  }
  const card = a.model && b.model ? diffCards(a.model, b.model) : undefined;
  if (!a.model || !b.model) notes.push('model card not compared: a report holds no card (written by an older assay)');
  const licence = await diffLicence(a, b, files, notes);
  let findings: ModelDiff['findings'];
  if (a.findings && b.findings) findings = diffFindings(a.findings, b.findings);
  else notes.push('findings not compared: a side has none');
  const tensorChanges =
    tensors.added.length +
    tensors.removed.length +
    tensors.reshaped.length +
    tensors.retyped.length +
    tensors.bytesChanged.length +
    tensors.moved.length;
  const identical =
    files.added.length === 0 &&
    files.removed.length === 0 &&
    files.changed.length === 0 &&
    tensorChanges === 0 &&
    (!findings || (findings.new.length === 0 && findings.fixed.length === 0));
  return {
    a: { label: a.label, kind: a.kind },
    b: { label: b.label, kind: b.kind },
    identical,
    files,
    tensors,
    configs,
    ...(card ? { card } : {}),
    licence,
    findings,
    notes,
  };
}

const LICENCE_FIELDS = [
  ['license', 'license'],
  ['license_name', 'licenseName'],
  ['license_link', 'licenseLink'],
] as const;

/** Front matter changes; undefined when the card (or its absence) is the same on both sides. */
export function diffCards(a: ModelSection, b: ModelSection): CardDiff | undefined {
  const before: CardStatus = a.card?.status ?? 'absent';
  const after: CardStatus = b.card?.status ?? 'absent';
  const keys = diffJson(a.frontMatter ?? {}, b.frontMatter ?? {});
  const unchanged = keys.added.length + keys.removed.length + keys.changed.length === 0;
  if (before === after && unchanged) return undefined;
  return { file: b.card?.file ?? a.card?.file ?? 'README.md', before, after, ...keys };
}

async function diffLicence(a: DiffSide, b: DiffSide, files: LockComparison, notes: string[]): Promise<LicenceDiff> {
  const card: KeyChange[] = [];
  if (a.model && b.model) {
    for (const [key, field] of LICENCE_FIELDS) {
      const before = a.model[field];
      const after = b.model[field];
      if (before !== after)
        card.push({ key, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) });
    }
  }
  // Only the files at the top of the model speak for it, as for the licence identification.
  const isLicence = (path: string) => !path.includes('/') && isLicenceFileName(path);
  const changes: LicenceFileChange[] = [
    ...files.added
      .filter((file) => isLicence(file.path))
      .map((file) => ({ path: file.path, change: 'added' as const })),
    ...files.removed
      .filter((file) => isLicence(file.path))
      .map((file) => ({ path: file.path, change: 'removed' as const })),
  ];
  for (const change of files.changed) {
    if (!isLicence(change.path)) continue;
    const entry: LicenceFileChange = { path: change.path, change: 'changed' };
    if (!a.root || !b.root)
      notes.push(`${change.path}: licence text not compared (a report holds digests, not contents)`);
    else if (Math.max(change.before.size, change.after.size) > MAX_LICENCE_TEXT_BYTES)
      notes.push(`${change.path}: licence text not compared (larger than ${MAX_LICENCE_TEXT_BYTES} bytes)`);
    else {
      const [before, after] = await Promise.all([
        readFile(bytesPath(a, change.path), 'utf8'),
        readFile(bytesPath(b, change.path), 'utf8'),
      ]);
      entry.text = diffText(before, after);
    }
    changes.push(entry);
  }
  return { card, files: changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)) };
}

/** Lines only in one text (as multisets, so moved lines do not count), and whether only whitespace differs. */
export function diffText(before: string, after: string): NonNullable<LicenceFileChange['text']> {
  const lines = (text: string) =>
    text
      .split(/\r?\n/)
      .map((line) => line.trimEnd())
      .filter((line) => line !== '');
  const counts = new Map<string, number>();
  for (const line of lines(before)) counts.set(line, (counts.get(line) ?? 0) + 1);
  let linesAdded = 0;
  for (const line of lines(after)) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else linesAdded++;
  }
  const linesRemoved = [...counts.values()].reduce((total, count) => total + count, 0);
  const words = (text: string) => text.split(/\s+/).filter(Boolean).join(' ');
  return { linesRemoved, linesAdded, whitespaceOnly: words(before) === words(after) };
}

function bytesPath(side: DiffSide, path: string): string {
  return side.kind === 'file' ? side.root! : join(side.root!, path);
}

interface LocatedTensor extends TensorLayout {
  file: string;
}

/** Tensors by name across every safetensors file of a side (the first wins if a name repeats). */
function tensorIndex(side: DiffSide): Map<string, LocatedTensor> {
  const index = new Map<string, LocatedTensor>();
  const paths = [...(side.safetensors?.keys() ?? [])].sort();
  for (const file of paths) {
    for (const tensor of side.safetensors!.get(file)!.tensors) {
      if (!index.has(tensor.name)) index.set(tensor.name, { ...tensor, file });
    }
  }
  return index;
}

async function diffTensorsOf(a: DiffSide, b: DiffSide, notes: string[]): Promise<TensorDiff> {
  const empty: TensorDiff = { added: [], removed: [], reshaped: [], retyped: [], bytesChanged: [], moved: [] };
  if (!a.safetensors || !b.safetensors) {
    const anySafetensors = [...a.files, ...b.files].some((file) => file.format === 'safetensors');
    if (anySafetensors) notes.push('tensors not compared: a report holds file digests, not tensor headers');
    return empty;
  }
  const shaA = new Map(a.files.map((file) => [file.path, file.sha256]));
  const shaB = new Map(b.files.map((file) => [file.path, file.sha256]));
  // A file identical on both sides holds identical tensors: only the others are hashed, each once.
  const digestsA = await digestFiles(a, (path) => shaB.get(path) !== shaA.get(path));
  const digestsB = await digestFiles(b, (path) => shaA.get(path) !== shaB.get(path));
  return diffTensors(tensorIndex(a), tensorIndex(b), (before, after) => {
    if (before.file === after.file && shaA.get(before.file) === shaB.get(after.file)) return false;
    const x = digestsA.get(before.file)?.get(before.name);
    const y = digestsB.get(after.file)?.get(after.name);
    return x === undefined || y === undefined ? null : x !== y;
  });
}

/** Pure: the tensor-level comparison, given a way to tell whether two tensors' bytes differ. */
export function diffTensors(
  before: ReadonlyMap<string, LocatedTensor>,
  after: ReadonlyMap<string, LocatedTensor>,
  bytesDiffer: (before: LocatedTensor, after: LocatedTensor) => boolean | null,
): TensorDiff {
  const result: TensorDiff = { added: [], removed: [], reshaped: [], retyped: [], bytesChanged: [], moved: [] };
  const ref = ({ name, file, dtype, shape }: LocatedTensor): TensorRef => ({ name, file, dtype, shape });
  for (const [name, tensor] of after) if (!before.has(name)) result.added.push(ref(tensor));
  for (const [name, tensor] of before) {
    const next = after.get(name);
    if (!next) {
      result.removed.push(ref(tensor));
      continue;
    }
    const change: TensorChange = {
      name,
      before: ref(tensor),
      after: ref(next),
      bytesChanged: bytesDiffer(tensor, next),
    };
    const reshaped = !sameShape(tensor.shape, next.shape);
    const retyped = tensor.dtype !== next.dtype;
    if (reshaped) result.reshaped.push(change);
    if (retyped) result.retyped.push(change);
    if (!reshaped && !retyped) {
      if (change.bytesChanged !== false) result.bytesChanged.push(change);
      else if (tensor.file !== next.file) result.moved.push(change);
    }
  }
  const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  for (const list of Object.values(result)) list.sort(byName);
  return result;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dimension, i) => dimension === b[i]);
}

async function digestFiles(
  side: DiffSide,
  wanted: (path: string) => boolean,
): Promise<Map<string, Map<string, string>>> {
  const digests = new Map<string, Map<string, string>>();
  const sizes = new Map(side.files.map((file) => [file.path, file.size]));
  for (const [path, layout] of side.safetensors ?? []) {
    if (!wanted(path)) continue;
    digests.set(path, await tensorDigests(bytesPath(side, path), sizes.get(path) ?? 0, layout));
  }
  return digests;
}

/**
 * sha256 of each tensor's byte range, from one sequential pass over the data section. Memory holds one read chunk
 * and one hash state per tensor, whatever the file size; ranges may overlap or run past the end (hostile headers).
 */
export async function tensorDigests(
  path: string,
  size: number,
  layout: SafetensorsLayout,
): Promise<Map<string, string>> {
  const order = layout.tensors
    .filter((tensor) => tensor.end >= tensor.begin)
    .map((tensor) => ({ tensor, hash: createHash('sha256') }))
    .sort((x, y) => x.tensor.begin - y.tensor.begin || x.tensor.end - y.tensor.end);
  const length = Math.max(0, size - layout.dataStart);
  let next = 0;
  let active: { tensor: TensorLayout; hash: Hash }[] = [];
  let position = 0;
  if (length > 0 && order.length > 0) {
    for await (const chunk of readRangeTransient(path, layout.dataStart, length)) {
      const end = position + chunk.length;
      while (next < order.length && order[next].tensor.begin < end) active.push(order[next++]);
      for (const { tensor, hash } of active) {
        const from = Math.max(tensor.begin, position);
        const to = Math.min(tensor.end, end);
        if (to > from) hash.update(chunk.subarray(from - position, to - position));
      }
      active = active.filter(({ tensor }) => tensor.end > end);
      position = end;
      if (next >= order.length && active.length === 0) break;
    }
  }
  const digests = new Map<string, string>();
  for (const { tensor, hash } of order) if (!digests.has(tensor.name)) digests.set(tensor.name, hash.digest('hex'));
  return digests;
}

/** A JSON object from a file, or a string saying why not. Never more than MAX_CONFIG_BYTES are read. */
export async function readJsonObject(path: string, size: number): Promise<Record<string, unknown> | string> {
  if (size > MAX_CONFIG_BYTES) return `larger than ${MAX_CONFIG_BYTES} bytes`;
  const handle = await open(path, 'r');
  try {
    const text = (await handle.readFile()).toString('utf8');
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
    return value as Record<string, unknown>;
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  } finally {
    await handle.close();
  }
}

/** Key-level changes; nested objects become dotted keys, arrays and scalars are compared whole. */
export function diffJson(before: Record<string, unknown>, after: Record<string, unknown>): Omit<ConfigDiff, 'file'> {
  const a = flatten(before);
  const b = flatten(after);
  const added: KeyChange[] = [];
  const removed: KeyChange[] = [];
  const changed: KeyChange[] = [];
  for (const [key, value] of b) {
    const previous = a.get(key);
    if (previous === undefined) added.push({ key, after: truncate(value) });
    else if (previous !== value) changed.push({ key, before: truncate(previous), after: truncate(value) });
  }
  for (const [key, value] of a) if (!b.has(key)) removed.push({ key, before: truncate(value) });
  const byKey = (x: KeyChange, y: KeyChange) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  return { added: added.sort(byKey), removed: removed.sort(byKey), changed: changed.sort(byKey) };
}

function flatten(object: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (value: unknown, prefix: string, depth: number) => {
    if (out.size >= MAX_CONFIG_KEYS) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 16) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && prefix) out.set(prefix, '{}');
      for (const [key, inner] of entries) visit(inner, prefix ? `${prefix}.${key}` : key, depth + 1);
    } else {
      out.set(prefix, JSON.stringify(value) ?? 'null');
    }
  };
  visit(object, '', 0);
  return out;
}

function truncate(value: string): string {
  return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
}

function findingKey(finding: Finding): string {
  return JSON.stringify([finding.ruleId, finding.file ?? '', finding.location?.member ?? '', finding.message]);
}

/** Findings in B and not in A (new) and in A and not in B (fixed), matched on rule, file, member and message. */
export function diffFindings(
  before: readonly Finding[],
  after: readonly Finding[],
): { new: FindingRef[]; fixed: FindingRef[] } {
  const ref = (finding: Finding): FindingRef => ({
    ruleId: finding.ruleId,
    severity: finding.severity,
    file: finding.file,
    member: finding.location?.member,
    message: finding.message,
  });
  const keysA = new Set(before.map(findingKey));
  const keysB = new Set(after.map(findingKey));
  const unique = (findings: readonly Finding[], exclude: Set<string>) => {
    const seen = new Set<string>();
    return findings.filter((finding) => {
      const key = findingKey(finding);
      if (exclude.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return { new: unique(after, keysA).map(ref), fixed: unique(before, keysB).map(ref) };
}
