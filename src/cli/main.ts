#!/usr/bin/env node
import { Command, Option } from 'commander';
import { builtInRuleMetas, VERSION } from '../assay.js';
import { PolicyError } from '../core/policy.js';
import { SEVERITIES } from '../core/severity.js';
import { OUTPUT_FORMATS } from '../report/index.js';
import { TargetError } from '../targets/local.js';
import { runRules } from './rules.js';
import { runScan } from './scan.js';

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
    .argument('<target>', 'a model file or folder')
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-p, --policy <file>', 'policy file (YAML or JSON)')
    .addOption(new Option('--fail-on <severity>', 'fail the gate on findings at or above').choices(SEVERITIES))
    .option('-q, --quiet', 'print nothing; the exit code tells the verdict')
    .option('--offline', 'never use the network (local targets never do)')
    .option('--no-progress', 'no progress display on standard error')
    .option('--deep', 'also read tensor data: NaN / Inf / constant tensors, config against shapes')
    .action(async (target: string, options) => {
      process.exitCode = await runScan(target, options);
    });
}

program
  .command('rules')
  .description('list the built-in rules with their default severity')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
  .action((options: { format: 'text' | 'json' | 'md' }) => {
    process.stdout.write(runRules(builtInRuleMetas(), options.format));
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
