import { readFile, writeFile } from 'node:fs/promises';
import { ReportSignatureError, signReport, verifyReportSignature } from '../provenance/report-signature.js';

/** `assay report sign <report.json> --key <ed25519.pem> [--output <file>]`: writes a detached signature. */
export async function runReportSign(
  reportFile: string,
  options: { key: string; output?: string; quiet?: boolean },
): Promise<number> {
  const report = await readJson(reportFile, 'report');
  const signature = signReport(report, await readText(options.key, 'private key'));
  const output = options.output ?? `${reportFile}.sig`;
  await writeFile(output, `${JSON.stringify(signature, null, 2)}\n`);
  if (!options.quiet) process.stderr.write(`assay: signed ${reportFile} (${signature.reportDigest}) → ${output}\n`);
  return 0;
}

/** `assay report verify <report.json> --signature <file> --key <pub.pem>`: 0 when valid, 1 when not. */
export async function runReportVerify(
  reportFile: string,
  options: { signature?: string; key: string; quiet?: boolean },
): Promise<number> {
  const signatureFile = options.signature ?? `${reportFile}.sig`;
  const result = verifyReportSignature(
    await readJson(reportFile, 'report'),
    await readJson(signatureFile, 'signature'),
    await readText(options.key, 'public key'),
  );
  if (!options.quiet)
    process.stdout.write(
      result.valid
        ? `valid: ${reportFile} is signed by ${options.key} (${result.reportDigest})\n`
        : `INVALID: ${reportFile}: ${result.reason}\n`,
    );
  return result.valid ? 0 : 1;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ReportSignatureError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportSignatureError(`the ${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}
