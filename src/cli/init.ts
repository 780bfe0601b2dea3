import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InitOptions {
  dir: string;
  force?: boolean;
  quiet?: boolean;
}

/** The schemas ship with the package (package.json `files`), next to dist/ and src/. */
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/**
 * `assay init`: a starter project configuration and policy, each pointing at its JSON Schema so editors with the
 * YAML language server complete and check keys. Refuses to overwrite unless --force.
 */
export async function runInit(options: InitOptions): Promise<number> {
  const folder = resolve(options.dir);
  const files = [
    { name: 'assay.config.yaml', schema: 'config.schema.json', body: CONFIG },
    { name: 'assay-policy.yaml', schema: 'policy.schema.json', body: POLICY },
  ];
  for (const file of files) {
    const path = join(folder, file.name);
    if (!options.force && (await exists(path))) {
      process.stderr.write(`assay: ${path} already exists; pass --force to overwrite it\n`);
      return 2;
    }
  }
  await mkdir(folder, { recursive: true });
  for (const file of files) {
    const path = join(folder, file.name);
    const schema = relative(dirname(path), join(SCHEMA_DIR, file.schema)).split('\\').join('/');
    await writeFile(path, `# yaml-language-server: $schema=${schema}\n${file.body}`);
    if (!options.quiet) process.stdout.write(`wrote ${path}\n`);
  }
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const CONFIG = `# Models assay serve keeps auditing, and where alerts go. One-off runs (assay audit <target>) need none of this.
policy: assay-policy.yaml
models:
  - name: my-model
    target: ./models/my-model            # a folder, a file, or hf://org/name@<commit>
    schedule: "0 3 * * *"                # re-audit every day at 03:00 UTC
    suites: []                           # evaluation suites to run with each scheduled audit
alerts:
  cooldownMinutes: 60
  webhooks: []
  #  - url: https://hooks.example.com/assay
  #    kind: json                        # signed with HMAC-SHA256 (header X-Assay-Signature)
  #    secretEnv: ASSAY_WEBHOOK_SECRET   # the environment variable holding the key
`;

const POLICY = `# What fails the gate. Every key is optional; these are the defaults unless noted.
failOn: high                  # critical | high | medium | low | info
failOnNotAnalysed: true       # content that could not be analysed fails with exit code 2
severity: {}                  # per-rule overrides, e.g. {"security/pickle-unknown-global": high}
allowGlobals: []              # extra pickle globals, each with the reason it is safe:
#  - global: mypackage.layers.CustomLayer
#    reason: our own layer class, reviewed in SEC-123
ignorePaths: []               # glob patterns of files to leave out, e.g. ["docs/**"]
`;
