import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { BUILT_IN_MODEL_RULES, BUILT_IN_RULES, NOT_ANALYSED_RULE_ID, VERSION } from '../src/assay.js';
import { audit } from '../src/core/audit.js';
import { DEFAULT_POLICY, type Policy } from '../src/core/policy.js';
import type { Report } from '../src/core/report.js';
import { type AnalysisLimits, DEFAULT_LIMITS } from '../src/formats/analyse.js';

const runFile = promisify(execFile);

export const PROJECT_ROOT = join(import.meta.dirname, '..');
export const SHARED_DATA = join(PROJECT_ROOT, '..', 'shared', 'data');

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Writes files into a fresh temporary folder and returns its path. */
export async function tempFolder(files: Record<string, Uint8Array | string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'assay-test-'));
  folders.push(folder);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(folder, name)), { recursive: true });
    await writeFile(join(folder, name), content);
  }
  return folder;
}

export async function auditPath(
  path: string,
  policy: Partial<Policy> = {},
  limits?: Partial<AnalysisLimits>,
): Promise<Report> {
  return audit(path, {
    limits: limits && { ...DEFAULT_LIMITS, ...limits },
    policy: { ...DEFAULT_POLICY, ...policy },
    rules: BUILT_IN_RULES.all(),
    modelRules: BUILT_IN_MODEL_RULES.all(),
    notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
    toolVersion: VERSION,
  });
}

/** Audits the given files as one model folder. */
export async function auditFiles(
  files: Record<string, Uint8Array | string>,
  policy: Partial<Policy> = {},
  limits?: Partial<AnalysisLimits>,
): Promise<Report> {
  return auditPath(await tempFolder(files), policy, limits);
}

export function ruleIds(report: Report): string[] {
  return [...new Set(report.findings.map((finding) => finding.ruleId))].sort();
}

/** Findings at high or above: what fails the default gate. */
export function serious(report: Report) {
  return report.findings.filter((finding) => finding.severity === 'critical' || finding.severity === 'high');
}

/** Runs the `assay` CLI from source (through tsx) as a user would; never throws on a non-zero exit. */
export async function runAssay(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  try {
    const { stdout, stderr } = await runFile(tsx, [join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * The PostgreSQL server the store tests use (`ASSAY_TEST_DATABASE_URL`, set by `.ci/run`). Undefined when there is
 * none, so the suite can run on a laptop; in CI (`ASSAY_REQUIRE_SERVICES`) a missing server is an error, not a skip.
 */
export const TEST_DATABASE_URL = requiredService('ASSAY_TEST_DATABASE_URL', process.env.ASSAY_TEST_DATABASE_URL);
/** The Chromium binary browser tests drive (`ASSAY_CHROMIUM`, or Debian's `/usr/bin/chromium`). */
export const CHROMIUM = requiredService(
  'ASSAY_CHROMIUM',
  process.env.ASSAY_CHROMIUM || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
);

function requiredService(variable: string, value: string | undefined): string | undefined {
  if (!value && process.env.ASSAY_REQUIRE_SERVICES)
    throw new Error(`${variable} is not set but ASSAY_REQUIRE_SERVICES is: start the service (see .ci/run)`);
  return value || undefined;
}
