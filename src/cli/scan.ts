import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { auditPlan, builtInRuleMetas, NOT_ANALYSED_RULE_ID, VERSION } from '../assay.js';
import { lineageEnricher } from '../compliance/licence-lineage.js';
import { type AuditOptions, audit } from '../core/audit.js';
import { DEFAULT_POLICY, loadPolicy, type Policy } from '../core/policy.js';
import type { Report } from '../core/report.js';
import type { Severity } from '../core/severity.js';
import { DEFAULT_LIMITS } from '../formats/analyse.js';
import { type OutputFormat, render } from '../report/index.js';
import { preloadAdvisoryDatabase } from '../supply-chain/advisory-db.js';
import { useOnlineAdvisories } from '../supply-chain/osv-api.js';
import { hubCacheDir, listCachedModels } from '../targets/hf-cache.js';
import { resolveTarget } from '../targets/resolve.js';
import { progressReporter } from './progress.js';

/** What every command that writes a report takes: format, destination, policy, gate threshold, verbosity. */
export interface ReportCommandOptions {
  format: OutputFormat;
  output?: string;
  policy?: string;
  failOn?: Severity;
  quiet?: boolean;
  progress: boolean;
}

export interface ScanOptions extends ReportCommandOptions {
  /** `scan` runs the artifact pillars only; `audit` runs everything that applies. */
  command: 'scan' | 'audit';
  /** Read tensor data for weight sanity checks. */
  deep?: boolean;
  /** Folder of ancestors' cards (`<org>/<name>/README.md`) for the licence lineage (`audit` only). */
  cards?: string;
  offline?: boolean;
  /** Ask the OSV API about the discovered dependencies (names, ecosystems, pinned versions only). */
  online?: boolean;
  /** Record the reports in the store: on by default for `audit` (`--no-store`), opt-in for `scan` (`--store`). */
  store?: boolean;
}

/**
 * Audits each target in turn (one report each: a JSON array for `--format json` when there are several, as with
 * `--hf-cache`), writes the reports, and returns the worst exit code the gate decided.
 */
export async function runScan(targets: readonly string[], options: ScanOptions): Promise<number> {
  const policy = await policyFor(options);
  const audited: { report: Report; target: string }[] = [];
  for (const target of targets) {
    const resolved = await resolveTarget(target);
    const report = await auditOne(resolved.path, target, policy, options, {
      extraArtifacts: resolved.extraArtifacts,
      enrich: lineageFor(options, resolved.hub !== undefined),
    });
    audited.push({ report, target });
  }
  const reports = audited.map(({ report }) => report);
  await emit(reports, options);
  const recorded = options.store ? await recordInStore(audited, options) : 0;
  return worstExitCode([...reports.map((report) => report.gate.exitCode), recorded]);
}

/** A failure on findings (1) outranks "could not be analysed" (2), which outranks a pass. */
function worstExitCode(codes: readonly number[]): number {
  return codes.includes(1) ? 1 : codes.includes(2) ? 2 : 0;
}

/** `assay scan --hf-cache`: every model snapshot already in the local Hugging Face cache, one report each. */
export async function runCacheScan(options: ScanOptions): Promise<number> {
  const policy = await policyFor(options);
  const audited: { report: Report; target: string }[] = [];
  for (const model of await listCachedModels()) {
    // Snapshot files are links to ../../blobs/<digest> inside the model's cache folder: follow those, nothing else.
    const followLinksWithin = dirname(dirname(model.folder));
    const target = `hf-cache:${model.repo}@${model.commit}`;
    audited.push({
      target,
      report: await auditOne(model.folder, target, policy, options, {
        followLinksWithin,
        enrich: lineageFor(options, false),
      }),
    });
  }
  const reports = audited.map(({ report }) => report);
  if (reports.length === 0 && !options.quiet)
    process.stderr.write(`assay: no models in the cache at ${hubCacheDir()}\n`);
  await emit(reports, options);
  const recorded = options.store ? await recordInStore(audited, options) : 0;
  return worstExitCode([...reports.map((report) => report.gate.exitCode), recorded]);
}

/** `audit` walks the base_model lineage: cards from `--cards`, the local HF cache, and the Hub only for Hub targets. */
function lineageFor(options: ScanOptions, hubTarget: boolean): AuditOptions['enrich'] {
  if (options.command !== 'audit') return undefined;
  const hubEndpoint = hubTarget && !options.offline ? (process.env.HF_ENDPOINT ?? 'https://huggingface.co') : undefined;
  return lineageEnricher({
    cardsFolder: options.cards,
    hfCacheDir: hubCacheDir(),
    hubEndpoint,
    hubToken: process.env.HF_TOKEN,
  });
}

/** The policy in force; also loads the advisory database the supply-chain rules read. */
export async function policyFor(options: Pick<ScanOptions, 'policy' | 'failOn'>): Promise<Policy> {
  await preloadAdvisoryDatabase();
  const loaded: Policy = options.policy ? await loadPolicy(options.policy) : DEFAULT_POLICY;
  return options.failOn ? { ...loaded, failOn: options.failOn } : loaded;
}

/** `--online`: the OSV API's advisories for the discovered dependencies become the database before the rules run. */
function withOnlineAdvisories(enrich: AuditOptions['enrich']): AuditOptions['enrich'] {
  return async (artifacts) => {
    await useOnlineAdvisories(artifacts);
    return enrich ? enrich(artifacts) : [];
  };
}

async function auditOne(
  folder: string,
  displayTarget: string,
  policy: Policy,
  options: ScanOptions,
  extra: Pick<AuditOptions, 'extraArtifacts' | 'followLinksWithin' | 'enrich'>,
): Promise<Report> {
  const progress =
    options.progress && !options.quiet && process.stderr.isTTY ? progressReporter(process.stderr) : undefined;
  const report = await audit(folder, {
    ...extra,
    enrich: options.online ? withOnlineAdvisories(extra.enrich) : extra.enrich,
    displayTarget,
    policy,
    ...auditPlan(options.command),
    limits: { ...DEFAULT_LIMITS, deep: options.deep ?? false, personalData: options.command === 'audit' },
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
    onProgress: progress?.update,
  });
  progress?.done();
  return report;
}

/** Writes reports: one as is; several as a JSON array (json) or one after another (other formats). */
export async function emit(reports: Report[], options: Pick<ScanOptions, 'format' | 'output' | 'quiet'>) {
  const rules = builtInRuleMetas();
  const rendered =
    options.format === 'json' && reports.length !== 1
      ? `${JSON.stringify(reports, null, 2)}\n`
      : reports
          .map((report) =>
            render(options.format, report, rules, {
              color: !options.output && options.format === 'text' && process.stdout.isTTY,
            }),
          )
          .join('');
  if (options.output) {
    await writeFile(options.output, rendered);
    if (!options.quiet && options.format !== 'text') {
      for (const report of reports) {
        process.stderr.write(
          `${render('text', report, rules, { color: process.stderr.isTTY }).split('\n').filter(Boolean).pop() ?? ''}\n`,
        );
      }
    }
  } else if (!options.quiet) {
    process.stdout.write(rendered);
  }
}

/** The store (SQLite or PostgreSQL drivers) is loaded only when a run is recorded: plain scans start faster. */
async function recordInStore(...args: Parameters<typeof import('./record.js').recordReports>): Promise<number> {
  return (await import('./record.js')).recordReports(...args);
}
