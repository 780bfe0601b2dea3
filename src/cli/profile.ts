/** `assay profile <data...> -o profile.json`: a mergeable column profile of one or more tables (merged as one). */
import { readFile, writeFile } from 'node:fs/promises';
import { TabularError } from '../formats/tabular/index.js';
import { DatasetProfile, mergeProfiles, profileFiles } from '../monitor/profile.js';

export interface ProfileCliOptions {
  output?: string;
  /** Profiles (JSON) to merge in, e.g. yesterday's baseline plus today's batch. */
  merge?: string[];
  quiet?: boolean;
}

export class ProfileInputError extends Error {}

/** Reads and validates a profile written by `assay profile`. */
export async function loadProfile(path: string): Promise<DatasetProfile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ProfileInputError(`${path}: not a readable JSON profile (${(error as Error).message})`);
  }
  const parsed = DatasetProfile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProfileInputError(
      `${path}: not an assay profile (${issue.path.join('.') || 'top level'}: ${issue.message}); write one with \`assay profile <data> -o ${path}\``,
    );
  }
  return parsed.data;
}

export async function runProfile(files: string[], options: ProfileCliOptions): Promise<number> {
  try {
    const parts: DatasetProfile[] = [];
    if (files.length > 0) parts.push(await profileFiles(files.map((path) => ({ path }))));
    for (const path of options.merge ?? []) parts.push(await loadProfile(path));
    if (parts.length === 0) throw new ProfileInputError('give at least one data file or --merge profile');
    const profile = parts.reduce((a, b) => mergeProfiles(a, b));
    const json = `${JSON.stringify(profile)}\n`;
    if (options.output) {
      await writeFile(options.output, json);
      if (!options.quiet) {
        process.stderr.write(
          `assay profile: ${profile.rows} rows, ${profile.columns.length} columns from ${profile.sources.length} source(s) → ${options.output}\n`,
        );
      }
    } else if (!options.quiet) {
      process.stdout.write(json);
    }
    return 0;
  } catch (error) {
    if (error instanceof TabularError || error instanceof ProfileInputError) {
      process.stderr.write(`assay profile: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
