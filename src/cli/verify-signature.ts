import { SignatureBundleError, verifyModelSignature } from '../provenance/signing.js';
import { PIN_EXIT, type VerifyOptions } from './pin.js';

/** `assay verify <folder> --signature <bundle> ...`: exit 0 when the signature and every digest hold, 1 when not. */
export async function verifySignature(target: string, options: VerifyOptions & { signature: string }): Promise<number> {
  try {
    const result = await verifyModelSignature(target, {
      bundle: options.signature,
      key: options.key,
      certificateChain: options.certificateChain,
      identity: options.identity,
      issuer: options.issuer,
      trustedRoot: options.trustedRoot,
      ignorePaths: options.ignorePaths,
    });
    if (options.format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!options.quiet) {
      const checked = result.resources.filter((resource) => resource.status === 'ok').length;
      for (const problem of result.problems) process.stdout.write(`  ${problem}\n`);
      process.stdout.write(
        `assay: signature ${result.valid ? 'VALID' : 'INVALID'} (${result.format}, ${result.method}${result.signer ? `, signed by ${result.signer}` : ''}); ${checked}/${result.resources.length} files match\n`,
      );
    }
    return result.valid ? PIN_EXIT.same : PIN_EXIT.changed;
  } catch (error) {
    if (!(error instanceof SignatureBundleError)) throw error;
    process.stderr.write(`assay: ${error.message}\n`);
    return PIN_EXIT.error;
  }
}
