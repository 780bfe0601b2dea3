/**
 * `assay drift --reference R --current C`: column-by-column drift between two tables (CSV, JSONL, Parquet, mixed),
 * or between a stored profile and a table. The result is the report's `drift` section in the standard envelope, so
 * every renderer works. Exit 0 no dataset drift, 1 dataset drift (the gate), 2 bad input.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { builtInRuleMetas, VERSION } from '../assay.js';
import { DEFAULT_POLICY } from '../core/policy.js';
import { type FileEntry, type Report, SCHEMA_VERSION } from '../core/report.js';
import type { DriftSection } from '../core/sections/drift.js';
import { SEVERITIES } from '../core/severity.js';
import { type ColumnTable, readColumns, TabularError } from '../formats/tabular/index.js';
import { CORRECTIONS, type Correction } from '../monitor/corrections.js';
import { type ColumnSide, compareColumns, DriftInputError, type DriftOptions } from '../monitor/drift.js';
import { DRIFT_METHOD_NAMES, type DriftMethod, isDriftMethod } from '../monitor/methods.js';
import { DatasetProfile, profileColumnSides, profileFiles } from '../monitor/profile.js';
import { sampleFromColumn } from '../monitor/samples.js';
import type { DRIFT_FORMATS } from '../report/formats.js';
import { type OutputFormat, render } from '../report/index.js';
import { loadProfile, ProfileInputError } from './profile.js';

export const DRIFT_EXIT = { noDrift: 0, drift: 1, error: 2 } as const;
/** Kind of the store documents holding drift baselines. */
export const DRIFT_PROFILE_KIND = 'drift-profile';

export interface DriftCliOptions {
  reference?: string;
  referenceProfile?: string;
  baseline?: string;
  saveBaseline?: string;
  current?: string;
  format?: (typeof DRIFT_FORMATS)[number];
  output?: string;
  columns?: string[];
  test?: string[];
  threshold?: string[];
  driftShare?: string;
  correction?: string;
  alpha?: string;
  config?: string;
  quiet?: boolean;
}

/** The YAML/JSON config `--config` reads: the same settings as the flags (flags win). */
export const DriftConfig = z
  .object({
    columns: z.array(z.string()).optional(),
    test: z.string().optional().describe('Test for every column'),
    tests: z.record(z.string(), z.string()).optional().describe('Test per column, e.g. {age: psi}'),
    threshold: z.number().optional(),
    thresholds: z.record(z.string(), z.number()).optional(),
    driftShare: z.number().min(0).max(1).optional(),
    correction: z.enum(CORRECTIONS as [Correction, ...Correction[]]).optional(),
    alpha: z.number().gt(0).lt(1).optional(),
  })
  .strict();
export type DriftConfig = z.infer<typeof DriftConfig>;

class DriftUsageError extends Error {}

function method(name: string, where: string): DriftMethod {
  if (!isDriftMethod(name)) {
    throw new DriftUsageError(`${where}: unknown test "${name}"; choose one of ${DRIFT_METHOD_NAMES.join(', ')}`);
  }
  return name;
}

function number(text: string, where: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new DriftUsageError(`${where}: "${text}" is not a number`);
  return value;
}

async function loadConfig(path: string): Promise<DriftConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'), { maxAliasCount: 0 });
  } catch (error) {
    throw new DriftUsageError(`${path}: not readable YAML/JSON (${(error as Error).message})`);
  }
  const parsed = DriftConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DriftUsageError(`${path}: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Flags over config: `--test col=psi` / `--test psi`, `--threshold col=0.2` / `--threshold 0.2`. */
export async function driftOptions(options: DriftCliOptions): Promise<DriftOptions> {
  const config = options.config ? await loadConfig(options.config) : {};
  const tests: Record<string, DriftMethod> = {};
  for (const [column, name] of Object.entries(config.tests ?? {}))
    tests[column] = method(name, `config tests.${column}`);
  const thresholds: Record<string, number> = { ...config.thresholds };
  let all = config.test ? method(config.test, 'config test') : undefined;
  let threshold = config.threshold;
  for (const entry of options.test ?? []) {
    const at = entry.lastIndexOf('=');
    if (at === -1) all = method(entry, '--test');
    else tests[entry.slice(0, at)] = method(entry.slice(at + 1), `--test ${entry}`);
  }
  for (const entry of options.threshold ?? []) {
    const at = entry.lastIndexOf('=');
    if (at === -1) threshold = number(entry, '--threshold');
    else thresholds[entry.slice(0, at)] = number(entry.slice(at + 1), `--threshold ${entry}`);
  }
  const correction = options.correction ?? config.correction;
  if (correction !== undefined && !CORRECTIONS.includes(correction as Correction)) {
    throw new DriftUsageError(`--correction: "${correction}" is not one of ${CORRECTIONS.join(', ')}`);
  }
  const driftShare = options.driftShare !== undefined ? number(options.driftShare, '--drift-share') : config.driftShare;
  if (driftShare !== undefined && (driftShare < 0 || driftShare > 1)) {
    throw new DriftUsageError('--drift-share must be between 0 and 1');
  }
  return {
    columns: options.columns?.length ? options.columns : config.columns,
    method: all,
    tests,
    threshold,
    thresholds,
    driftShare,
    correction: correction as Correction | undefined,
    alpha: options.alpha !== undefined ? number(options.alpha, '--alpha') : config.alpha,
  };
}

function tableSides(table: ColumnTable): ColumnSide[] {
  return table.columns.map((column) => ({
    name: column.name,
    type: column.type,
    rows: column.rows,
    nulls: column.nulls,
    sample: sampleFromColumn(column),
  }));
}

async function fileEntry(path: string, format: string): Promise<FileEntry> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, size: (await stat(path)).size, sha256: hash.digest('hex'), format };
}

type Side = { sides: ColumnSide[]; info: DriftSection['reference']; file?: FileEntry; profile?: DatasetProfile };

async function dataSide(path: string, columns: readonly string[] | undefined): Promise<Side> {
  const table = await readColumns(path, { columns });
  return {
    sides: tableSides(table),
    info: { source: path, kind: 'data', format: table.format, rows: table.rows },
    file: await fileEntry(path, table.format),
  };
}

function profileSide(profile: DatasetProfile, source: string): Side {
  return {
    sides: profileColumnSides(profile),
    info: { source, kind: 'profile', format: 'profile', rows: profile.rows },
    profile,
  };
}

async function withStore<T>(action: (store: import('../store/store.js').Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('../store/open.js');
  const store = await openStore();
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

async function referenceSide(options: DriftCliOptions, driftSettings: DriftOptions): Promise<Side> {
  const given = [options.reference, options.referenceProfile, options.baseline].filter(Boolean).length;
  if (given !== 1) throw new DriftUsageError('give exactly one of --reference, --reference-profile, --baseline');
  if (options.referenceProfile)
    return profileSide(await loadProfile(options.referenceProfile), options.referenceProfile);
  if (options.baseline) {
    const name = options.baseline;
    const document = await withStore((store) => store.getProfile(name));
    if (!document) throw new DriftUsageError(`no stored baseline "${name}"; save one with --save-baseline ${name}`);
    if (document.kind !== DRIFT_PROFILE_KIND)
      throw new DriftUsageError(`stored document "${name}" is a ${document.kind}, not a drift profile`);
    const parsed = DatasetProfile.safeParse(document.data);
    if (!parsed.success) throw new DriftUsageError(`stored baseline "${name}" does not validate as a profile`);
    return profileSide(parsed.data, `baseline:${name}@${document.id}`);
  }
  return dataSide(options.reference as string, driftSettings.columns);
}

function driftReport(section: DriftSection, files: FileEntry[], startedAt: string): Report {
  const { dataset } = section;
  const reasons = dataset.drifted
    ? [
        `dataset drift: ${dataset.driftedColumns} of ${dataset.testedColumns} tested columns drifted ` +
          `(share ${dataset.share.toFixed(3)} ≥ ${dataset.driftShare})`,
      ]
    : [];
  const exitCode = dataset.drifted ? 1 : 0;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'assay', version: VERSION },
    target: { kind: 'file', path: section.current.source },
    startedAt,
    finishedAt: new Date().toISOString(),
    files,
    findings: [],
    summary: {
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.size, 0),
      findings: Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Report['summary']['findings'],
      suppressed: 0,
      notAnalysed: 0,
    },
    gate: { failOn: DEFAULT_POLICY.failOn, failOnNotAnalysed: DEFAULT_POLICY.failOnNotAnalysed, reasons, exitCode },
    verdict: exitCode ? 'fail' : 'pass',
    drift: section,
  };
}

export async function runDrift(options: DriftCliOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  try {
    const settings = await driftOptions(options);
    if (options.saveBaseline) {
      if (!options.reference)
        throw new DriftUsageError('--save-baseline profiles the --reference data; give --reference');
      const name = options.saveBaseline;
      const profile = await profileFiles([{ path: options.reference }]);
      const saved = await withStore((store) => store.saveProfile({ name, kind: DRIFT_PROFILE_KIND, data: profile }));
      if (!options.quiet)
        process.stderr.write(`assay drift: saved baseline "${name}" (${saved.id}) from ${options.reference}\n`);
      if (!options.current) return DRIFT_EXIT.noDrift;
    }
    if (!options.current) throw new DriftUsageError('give --current <data>');
    const reference = await referenceSide(options, settings);
    const current = await dataSide(options.current, settings.columns);
    const result = compareColumns(reference.sides, current.sides, settings);
    const section: DriftSection = { reference: reference.info, current: current.info, ...result };
    const report = driftReport(
      section,
      [reference.file, current.file].filter((f): f is FileEntry => !!f),
      startedAt,
    );
    const format: OutputFormat = options.format ?? 'text';
    const rendered = render(format, report, builtInRuleMetas(), {
      color: !options.output && format === 'text' && process.stdout.isTTY,
    });
    if (options.output) await writeFile(options.output, rendered);
    else if (!options.quiet) process.stdout.write(rendered);
    return report.gate.exitCode;
  } catch (error) {
    if (
      error instanceof TabularError ||
      error instanceof DriftInputError ||
      error instanceof DriftUsageError ||
      error instanceof ProfileInputError
    ) {
      process.stderr.write(`assay drift: ${error.message}\n`);
      return DRIFT_EXIT.error;
    }
    throw error;
  }
}
