#!/usr/bin/env node
import { Command, Option } from 'commander';
import { builtInRuleMetas, VERSION } from '../assay.js';
import { PolicyError } from '../core/policy.js';
import { SEVERITIES } from '../core/severity.js';
import { OUTPUT_FORMATS } from '../report/index.js';
import { TargetError } from '../targets/local.js';
import { runDbStatus, runDbUpdate } from './db.js';
import { runDiff } from './diff.js';
import { runInit } from './init.js';
import { runLock, runVerify } from './pin.js';
import { runRules } from './rules.js';
import { runCacheScan, runScan } from './scan.js';
import { runSign } from './sign.js';

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
    .argument('[target]', 'a model file or folder, or hf://org/name@revision')
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
    .option('--cards <folder>', 'audit: ancestor model cards for the licence lineage, laid out <org>/<name>/README.md')
    .action(async (target: string | undefined, flags) => {
      const options = { ...flags, command: name };
      if (options.hfCache) process.exitCode = await runCacheScan(options);
      else if (target) process.exitCode = await runScan(target, options);
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
  .action((options: { format: 'text' | 'json' | 'md' }) => {
    process.stdout.write(runRules(builtInRuleMetas(), options.format));
  });

program
  .command('lock')
  .description('pin a model: write assay.lock with each file path, size, sha256 and format')
  .argument('<target>', 'a model file or folder')
  .option('-o, --output <file>', 'where to write the lock (default: assay.lock inside the target folder)')
  .option('-q, --quiet', 'print nothing')
  .action(async (target: string, options) => {
    process.exitCode = await runLock(target, options);
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
    process.exitCode = await runVerify(target, options);
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
    process.exitCode = await runSign(target, options);
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
    process.exitCode = await runDbUpdate(options);
  });
db.command('status')
  .description('what the advisory cache holds: records per ecosystem and the newest modified date')
  .action(async () => {
    process.exitCode = await runDbStatus();
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
    process.exitCode = await runDiff(a, b, options);
  });

program
  .command('init')
  .description('write a starter assay.config.yaml and assay-policy.yaml that point at their JSON Schemas')
  .argument('[dir]', 'where to write them', '.')
  .option('--force', 'overwrite existing files')
  .option('-q, --quiet', 'print nothing')
  .action(async (dir: string, options) => {
    process.exitCode = await runInit({ ...options, dir });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') {
    process.exitCode = EXIT.pass;
  } else if (code?.startsWith('commander.')) {
    process.exitCode = EXIT.error;
  } else if (error instanceof PolicyError || error instanceof TargetError) {
    process.stderr.write(`assay: ${error.message}\n`);
    process.exitCode = EXIT.error;
  } else {
    process.stderr.write(`assay: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT.error;
  }
}
