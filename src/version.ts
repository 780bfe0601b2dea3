import { createRequire } from 'node:module';

const packageJson = createRequire(import.meta.url)('../package.json') as { version: string };

/** Assay's version, from package.json: light enough for `assay --version` to load nothing else. */
export const VERSION: string = packageJson.version;
