import { SigningKeyError, signModel } from '../provenance/sign.js';

export interface SignOptions {
  key: string;
  output?: string;
  ignorePaths?: string[];
  quiet?: boolean;
}

/** `assay sign <folder> --key <private.pem>`: writes an OpenSSF model-signing bundle; exit 0 when written, 2 when not. */
export async function runSign(target: string, options: SignOptions): Promise<number> {
  try {
    const result = await signModel(target, options);
    if (!options.quiet)
      process.stdout.write(
        `assay: signed ${result.files.length} file(s) with ${result.key}; bundle written to ${result.output}\n` +
          `  verify with: assay verify ${target} --signature ${result.output} --key <public-key.pem>\n`,
      );
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(error instanceof SigningKeyError) && code !== 'ENOENT' && code !== 'EACCES') throw error;
    process.stderr.write(`assay: cannot sign ${target}: ${(error as Error).message}\n`);
    return 2;
  }
}
