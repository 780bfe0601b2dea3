#!/usr/bin/env node
import { Command, Option } from 'commander';
import { SEVERITIES } from '../core/severity.js';
import { UserError } from '../core/user-error.js';
import { DRIFT_FORMATS, OUTPUT_FORMATS } from '../report/formats.js';
import { VERSION } from '../version.js';
import { positiveInteger } from './table.js';

export const EXIT = { pass: 0, gateFailed: 1, error: 2 } as const;

const program = new Command()
  .name('assay')
  .description('Audit open-source ML models before they reach production.')
  .version(VERSION, '-V, --version')
  .showHelpAfterError()
  .exitOverride();

for (const [name, description] of [
  ['scan', 'artifact security only: can loading these files run code?'],
  ['audit', 'every audit that applies to the target (today: artifact security)'],
] as const) {
  program
    .command(name)
    .description(description)
    .argument('[targets...]', 'model files or folders, or hf://org/name@revision (one report each)')
    .option('--hf-cache', 'audit every model already in the local Hugging Face cache (HF_HUB_CACHE / HF_HOME)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-p, --policy <file>', 'policy file (YAML or JSON)')
    .addOption(new Option('--fail-on <severity>', 'fail the gate on findings at or above').choices(SEVERITIES))
    .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
    .option('--offline', 'never use the network (local targets never do)')
    .addOption(
      new Option(
        '--online',
        'query the OSV API (ASSAY_OSV_API, default https://api.osv.dev) for advisories of the discovered ' +
          'dependencies; sends only package names, ecosystems and pinned versions',
      ).conflicts('offline'),
    )
    .option('--no-progress', 'no progress display on standard error')
    .option('--deep', 'also read tensor data: NaN / Inf / constant tensors, config against shapes')
    .option('--cards <folder>', 'audit: ancestor model cards for the licence lineage, laid out <org>/<name>/README.md')
    .addOption(
      name === 'audit'
        ? new Option('--no-store', 'do not record the audit in the store (ASSAY_DATABASE_URL or $ASSAY_HOME/assay.db)')
        : new Option(
            '--store',
            'record the scan in the store, as audit does (ASSAY_DATABASE_URL or $ASSAY_HOME/assay.db)',
          ),
    )
    .action(async (targets: string[], flags) => {
      const options = { ...flags, command: name };
      if (options.hfCache) process.exitCode = await (await import('./scan.js')).runCacheScan(options);
      else if (targets.length > 0) process.exitCode = await (await import('./scan.js')).runScan(targets, options);
      else {
        process.stderr.write(
          `assay: ${name} needs a target (a file, a folder or hf://org/name@revision) or --hf-cache\n`,
        );
        process.exitCode = EXIT.error;
      }
    });
}

program
  .command('rules')
  .description('list the built-in rules with their default severity')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
  .action(async (options: { format: 'text' | 'json' | 'md' }) => {
    const [{ runRules }, { builtInRuleMetas }] = await Promise.all([import('./rules.js'), import('../assay.js')]);
    process.stdout.write(runRules(builtInRuleMetas(), options.format));
  });

program
  .command('lock')
  .description('pin a model: write assay.lock with each file path, size, sha256 and format')
  .argument('<target>', 'a model file or folder')
  .option('-o, --output <file>', 'where to write the lock (default: assay.lock inside the target folder)')
  .option('-q, --quiet', 'print nothing')
  .action(async (target: string, options) => {
    process.exitCode = await (await import('./pin.js')).runLock(target, options);
  });

program
  .command('verify')
  .description(
    'check a model against its lock (files added, removed or changed since `assay lock`), or against an OpenSSF ' +
      'model-signing bundle with --signature',
  )
  .argument('<target>', 'a model file or folder')
  .option('-l, --lock <file>', 'lock file (default: assay.lock inside the target folder)')
  .option('--signature <bundle>', 'verify this model-signing bundle (model.sig) instead of the lock')
  .option('--key <pem>', 'with --signature: the signer public key (EC P-256 / P-384)')
  .option('--certificate-chain <pem>', 'with --signature: CA certificates the signing certificate must chain to')
  .option('--identity <id>', 'with --signature (Sigstore keyless): the expected signer identity')
  .option('--issuer <url>', 'with --signature (Sigstore keyless): the expected OIDC issuer')
  .option('--trusted-root <json>', 'with --signature (Sigstore keyless): the pinned Sigstore trusted root')
  .option('--ignore-paths <path...>', 'with --signature: files the signature does not cover')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
  .action(async (target: string, options) => {
    process.exitCode = await (await import('./pin.js')).runVerify(target, options);
  });

program
  .command('sign')
  .description('sign a model with an EC private key: writes an OpenSSF model-signing bundle (model_signing v1 format)')
  .argument('<target>', 'a model folder (or a single model file)')
  .requiredOption('--key <pem>', 'the EC P-256 or P-384 private key (PEM)')
  .option('-o, --output <file>', 'where to write the bundle (default: model.sig inside the folder)')
  .option('--ignore-paths <path...>', 'files or folders the signature leaves out')
  .option('-q, --quiet', 'print nothing')
  .action(async (target: string, options) => {
    process.exitCode = await (await import('./sign.js')).runSign(target, options);
  });

const db = program
  .command('db')
  .description(
    'the local OSV advisory cache audits use when ASSAY_OSV_DB is not set ($ASSAY_HOME/osv or ~/.cache/assay/osv)',
  );
db.command('update')
  .description(
    "import osv.dev advisories: an ecosystem's all.zip, a folder of <Ecosystem>/all.zip, or OSV JSON records",
  )
  .requiredOption(
    '--from <path>',
    'all.zip or folder (download from https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip)',
  )
  .option('-q, --quiet', 'print nothing')
  .action(async (options) => {
    process.exitCode = await (await import('./db.js')).runDbUpdate(options);
  });
db.command('status')
  .description('what the advisory cache holds: records per ecosystem and the newest modified date')
  .action(async () => {
    process.exitCode = await (await import('./db.js')).runDbStatus();
  });

program
  .command('diff')
  .description(
    'what changed between two model versions (folders, files, hf://org/name@revision, or JSON reports of `assay scan`)',
  )
  .argument('<a>', 'the old version')
  .argument('<b>', 'the new version')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('-q, --quiet', 'print nothing; the exit code tells whether they differ')
  .action(async (a: string, b: string, options) => {
    process.exitCode = await (await import('./diff.js')).runDiff(a, b, options);
  });

program
  .command('history')
  .description('recorded audits, newest first (all models, or one); --trend: findings and metrics over time')
  .argument('[model]', 'the model as audited: a folder or file path, or hf://org/name')
  .option('--trend', 'findings per audit with the rules that appeared and went away, and every metric over time')
  .option('--metric <name...>', 'with --trend: only these metrics (e.g. findings.critical, accuracy)')
  .option('-n, --limit <n>', 'at most this many audits', positiveInteger, 50)
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(async (model: string | undefined, options) => {
    process.exitCode = await (await import('./history.js')).runHistory(model, options);
  });

program
  .command('show')
  .description("a recorded audit's report, rendered in any report format")
  .argument('<id>', 'audit id, or its first 6+ characters (from `assay history`)')
  .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of standard output')
  .action(async (id: string, options) => {
    process.exitCode = await (await import('./show.js')).runShow(id, options);
  });

const log = program
  .command('log')
  .description('the tamper-evident audit log: who recorded what, when, each entry chained to the one before')
  .option('-n, --limit <n>', 'only the last n entries', positiveInteger)
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(async (options) => {
    process.exitCode = await (await import('./log.js')).runLog(options);
  });
log
  .command('verify')
  .description('check the chain: exit 1 naming the first edited, removed or reordered entry')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('-q, --quiet', 'print nothing; the exit code tells')
  .action(async (options) => {
    process.exitCode = await (await import('./log.js')).runLogVerify(options);
  });

const report = program.command('report').description('sign and verify JSON reports (ed25519, canonical JSON)');
report
  .command('sign')
  .description("write a detached ed25519 signature over the report's canonical JSON")
  .argument('<report>', 'a JSON report (assay audit --format json)')
  .requiredOption('-k, --key <pem>', 'ed25519 private key (openssl genpkey -algorithm ed25519)')
  .option('-o, --output <file>', 'where to write the signature (default: <report>.sig)')
  .option('-q, --quiet', 'print nothing')
  .action(async (file: string, options) => {
    process.exitCode = await (await import('./report-sign.js')).runReportSign(file, options);
  });
report
  .command('verify')
  .description('check a report against its detached signature and a public key you trust: exit 1 when invalid')
  .argument('<report>', 'the JSON report')
  .option('-s, --signature <file>', 'the signature (default: <report>.sig)')
  .requiredOption('-k, --key <pem>', 'the signer ed25519 public key')
  .option('-q, --quiet', 'print nothing; the exit code tells')
  .action(async (file: string, options) => {
    process.exitCode = await (await import('./report-sign.js')).runReportVerify(file, options);
  });

program
  .command('eval')
  .description(
    'run a model on a dataset and judge it: metrics with bootstrap intervals, thresholds, slices, edge cases, ' +
      'robustness, regression against a baseline (--suite suite.yaml, or --model m.onnx --data t.csv --label y)',
  )
  .option('-s, --suite <file>', 'evaluation suite (YAML; schema/suite.schema.json)')
  .option('-m, --model <file>', 'an .onnx file or a local Transformers.js folder (overrides the suite model)')
  .option('-d, --data <table>', 'CSV, JSONL or Parquet (overrides the suite dataset)')
  .option(
    '-l, --label <column>',
    'short form: the expected-label column; every other column is a feature, in file order',
  )
  .option('--threshold <p>', 'decision threshold on the positive-class probability (default 0.5)')
  .option('--positive <label>', 'the positive class (default 1 / true / yes, else the last label in sort order)')
  .option('--min <metric=value...>', 'fail the gate when a metric is below this, e.g. accuracy=0.9')
  .option('--max <metric=value...>', 'fail the gate when a metric is above this, e.g. latency_p95_ms=200')
  .option('--slice <column...>', 'also report every metric per value of these columns')
  .option('-b, --baseline <report|id>', 'compare with a JSON report of an earlier assay eval, or a stored audit id')
  .option('--tolerance <drop>', 'absolute metric drop accepted before a significant drop fails the gate (default 0)')
  .option('--resamples <n>', 'bootstrap resamples (default 1000)')
  .option('--seed <n>', 'seed for bootstrap and perturbations (default 20260101)')
  .option('--no-probes', 'skip generated edge cases and robustness perturbations')
  .option('--record', 'record the report in the store (ASSAY_DATABASE_URL or $ASSAY_HOME/assay.db) for trends')
  .option(
    '--resume',
    'reuse the finished cases of an interrupted run of the same model and data (Ctrl-C stops cleanly)',
  )
  .option(
    '--results <file.jsonl>',
    "keep every case's result (expected, output, error, latency) in this JSON Lines file",
  )
  .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of standard output')
  .option('-p, --policy <file>', 'policy file (YAML or JSON)')
  .addOption(new Option('--fail-on <severity>', 'fail the gate on findings at or above').choices(SEVERITIES))
  .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
  .option('--no-progress', 'no progress display on standard error')
  .action(async (options) => {
    try {
      process.exitCode = await (await import('./eval.js')).runEval(options);
    } catch (error) {
      if (!(await import('./eval.js')).isEvalUserError(error)) throw error;
      process.stderr.write(`assay eval: ${(error as Error).message}\n`);
      process.exitCode = EXIT.error;
    }
  });

program
  .command('rerun')
  .description(
    'repeat the evaluation a report of assay eval records (suite as run, runner settings, seeds) and diff the ' +
      'metrics: exit 0 identical, 1 a metric differs, 2 the suite, a dataset or the model changed since',
  )
  .argument('<report|id>', 'a JSON report of assay eval, or a stored audit id')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('-o, --output <file>', "also write the new run's JSON report to a file")
  .option('-p, --policy <file>', 'policy for the new run (acceptable-response rules); default: the built-in policy')
  .option('-q, --quiet', 'print nothing; the exit code tells')
  .option('--no-progress', 'no progress display on standard error')
  .action(async (reference: string, options) => {
    try {
      process.exitCode = await (await import('./rerun.js')).runRerun(reference, options);
    } catch (error) {
      if (!(await import('./eval.js')).isEvalUserError(error)) throw error;
      process.stderr.write(`assay rerun: ${(error as Error).message}\n`);
      process.exitCode = EXIT.error;
    }
  });

program
  .command('probe')
  .description(
    'red-team a model: prompt injection, jailbreaks, obfuscation, harmful requests, system-prompt and PII leakage ' +
      '(attack success rate with intervals, hit log); --pack counterfactual runs demographic bias probes',
  )
  .option('-e, --endpoint <url>', 'base URL of an OpenAI-compatible (or, with --api ollama-*, Ollama) server')
  .option('-m, --model <name>', 'the model name the endpoint serves')
  .option('--api <kind>', 'openai-chat, openai-completions, ollama-chat or ollama-generate', 'openai-chat')
  .option('--api-key-env <var>', 'environment variable holding the API key (sent to the endpoint only)')
  .option('--runner-config <file>', 'any runner (generic HTTP, ONNX, Transformers.js) as a YAML model block')
  .option('--pack <name|file...>', 'probe packs: built-in core (default), counterfactual, or a YAML/JSON pack file', [])
  .option('--generations <n>', 'outputs per probe (default 1)')
  .option('--seed <n>', 'seed for the canary and the bootstrap (default 20260101)')
  .option('--resamples <n>', 'bootstrap resamples (default 1000)')
  .option('--concurrency <n>', 'requests in flight (default 4)')
  .option('--timeout <ms>', 'per request (default 60000)')
  .option('--judge-endpoint <url>', 'opt-in LLM judge: grades every output through this endpoint too')
  .option('--judge-model <name>', 'the judge model')
  .option('--judge-api <kind>', 'the judge API kind', 'openai-chat')
  .option('--judge-api-key-env <var>', 'environment variable holding the judge API key')
  .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of standard output')
  .option(
    '-p, --policy <file>',
    'policy file (YAML or JSON): safety.maxAttackSuccessRate, fairness.counterfactualAlpha',
  )
  .addOption(new Option('--fail-on <severity>', 'fail the gate on findings at or above').choices(SEVERITIES))
  .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
  .option('--no-progress', 'no progress display on standard error')
  .action(async (options) => {
    try {
      process.exitCode = await (await import('./probe.js')).runProbe(options);
    } catch (error) {
      if (!(await import('./probe.js')).isProbeUserError(error)) throw error;
      process.stderr.write(`assay probe: ${(error as Error).message}\n`);
      process.exitCode = EXIT.error;
    }
  });

program
  .command('fairness')
  .description(
    'group fairness of predictions (fairlearn-equal metrics with bootstrap intervals); exit 1 when a threshold ' +
      'fails (default: the four-fifths rule)',
  )
  .requiredOption('-d, --data <table>', 'CSV, JSONL or Parquet with label, prediction and sensitive columns')
  .requiredOption('-l, --label <column>', 'the true label')
  .option('--prediction <column>', "the model's predicted label (or give --model)")
  .option('--model <file.onnx>', 'a binary classifier to run on the data instead (first output: positive probability)')
  .option(
    '--features <columns>',
    'with --model: feature columns, comma-separated (default: all but label and sensitive)',
  )
  .option('--decision-threshold <p>', 'with --model: probability at or above which the prediction is positive (0.5)')
  .requiredOption('--sensitive <columns>', 'sensitive feature column(s), comma-separated (several: intersectional)')
  .option('--score <column>', 'positive-class score in [0, 1]: adds ROC AUC and calibration error per group')
  .option('--positive <label>', 'the positive label (default 1 / true / yes, else the last value in sort order)')
  .option(
    '--threshold <bound...>',
    'e.g. demographic_parity_ratio>=0.8 equalized_odds_difference<=0.1 (replaces the policy)',
  )
  .option('--resamples <n>', 'bootstrap resamples (default 1000)')
  .option('--seed <n>', 'bootstrap seed (default 20260101)')
  .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of standard output')
  .option('-p, --policy <file>', 'policy file (YAML or JSON): fairness.thresholds')
  .addOption(new Option('--fail-on <severity>', 'fail the gate on findings at or above').choices(SEVERITIES))
  .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
  .action(async (options) => {
    try {
      process.exitCode = await (await import('./fairness.js')).runFairness(options);
    } catch (error) {
      if (!(await import('./fairness.js')).isFairnessUserError(error)) throw error;
      process.stderr.write(`assay fairness: ${(error as Error).message}\n`);
      process.exitCode = EXIT.error;
    }
  });

program
  .command('drift')
  .description(
    'data drift between a reference and a current table (CSV, JSONL, Parquet), column by column; exit 1 on dataset drift',
  )
  .option('-r, --reference <data>', 'the reference table')
  .option('--reference-profile <profile.json>', 'a profile written by `assay profile` instead of reference data')
  .option('--baseline <name>', 'a baseline saved in the store with --save-baseline instead of reference data')
  .option('--save-baseline <name>', 'profile --reference and save it in the store under this name')
  .option('-c, --current <data>', 'the current table')
  .option('--columns <names...>', 'only these columns (default: every reference column)')
  .option(
    '--test <[column=]method...>',
    'test for a column or for all: ks, anderson, cramervonmises, mannwhitney, ttest, energy, chisquare, z, fisher, psi, jensenshannon, kl, hellinger, wasserstein',
  )
  .option('--threshold <[column=]value...>', "drift threshold for a column or for all (default: the test's own)")
  .option('--drift-share <share>', 'dataset drift when at least this share of tested columns drifted (default 0.5)')
  .option('--correction <method>', 'multiple-testing correction of p-value tests: none, bonferroni, bh')
  .option('--alpha <level>', 'family-wise level for --correction (default 0.05)')
  .option(
    '--config <file>',
    'YAML/JSON with columns, test, tests, threshold, thresholds, driftShare, correction, alpha',
  )
  .addOption(new Option('-f, --format <format>', 'output format').choices(DRIFT_FORMATS).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of standard output')
  .option('-q, --quiet', 'print nothing; the exit code tells whether the dataset drifted')
  .action(async (options) => {
    process.exitCode = await (await import('./drift.js')).runDrift(options);
  });

program
  .command('profile')
  .description('a mergeable column profile (counts, moments, KLL quantiles, HyperLogLog, frequent items) of tables')
  .argument('[data...]', 'tables to profile together (CSV, JSONL, Parquet); their profiles are merged')
  .option('-o, --output <file>', 'write the profile JSON here instead of standard output')
  .option('--merge <profile.json...>', 'merge these profiles in as well')
  .option('-q, --quiet', 'print nothing on standard error')
  .action(async (data: string[], options) => {
    process.exitCode = await (await import('./profile.js')).runProfile(data, options);
  });

program
  .command('init')
  .description('write a starter assay.config.yaml and assay-policy.yaml that point at their JSON Schemas')
  .argument('[dir]', 'where to write them', '.')
  .option('--force', 'overwrite existing files')
  .option('-q, --quiet', 'print nothing')
  .action(async (dir: string, options) => {
    process.exitCode = await (await import('./init.js')).runInit({ ...options, dir });
  });

program
  .command('serve')
  .description(
    'the REST API, the deploy gate (GET /api/gate) and the dashboard; store from ASSAY_HOME / ASSAY_DATABASE_URL',
  )
  .option('--port <n>', 'port to listen on (0: any free port)', '8080')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--root <folder...>', 'folders submitted audits may read (targets elsewhere are refused)', [])
  .option('--config <file>', 'project config (assay init writes one): models, schedules, alerts')
  .option('--offline', 'refuse hf:// targets')
  .option('--concurrency <n>', 'audits run at the same time', '2')
  .option('--no-worker', 'run no audits here: leave them to `assay worker` processes (PostgreSQL store)')
  .action(async (options) => {
    process.exitCode = await (await import('./serve.js')).runServe(options);
  });

program
  .command('worker')
  .description('run audit jobs from the shared PostgreSQL queue (ASSAY_DATABASE_URL) until stopped')
  .option('--concurrency <n>', 'audits run at the same time', '1')
  .option('--config <file>', 'project config: where alerts about the audits this worker runs go')
  .action(async (options) => {
    process.exitCode = await (await import('./serve.js')).runWorker(options);
  });

const token = program.command('token').description('API tokens for assay serve (only their hashes are stored)');
token
  .command('create')
  .description('create a token and print it once')
  .requiredOption('--name <name>', 'who or what uses it, e.g. deploy-pipeline')
  .option('--scopes <list>', 'comma-separated: read, write, admin', 'read')
  .action(async (options) => {
    process.exitCode = await (await import('./serve.js')).runTokenCreate(options);
  });
token
  .command('list')
  .description('list tokens (never their values)')
  .action(async () => {
    process.exitCode = await (await import('./serve.js')).runTokenList();
  });
token
  .command('revoke')
  .description('revoke a token by id')
  .argument('<id>')
  .action(async (id: string) => {
    process.exitCode = await (await import('./serve.js')).runTokenRevoke(id);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') {
    process.exitCode = EXIT.pass;
  } else if (code?.startsWith('commander.')) {
    process.exitCode = EXIT.error;
  } else if (error instanceof UserError) {
    process.stderr.write(`assay: ${error.message}\n`);
    process.exitCode = EXIT.error;
  } else {
    process.stderr.write(`assay: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT.error;
  }
}
