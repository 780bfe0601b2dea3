/**
 * What every parser outcome must satisfy, whatever the input: facts that can go into a report as they are
 * (JSON, sane offsets), and errors that say where they happened.
 */
import type { Artifact, Fact, FormatName } from '../../src/formats/facts.js';

/** Format names are short identifiers; the list grows with the format plugins, so only the shape is checked. */
export const isFormatName = (format: unknown): format is FormatName =>
  typeof format === 'string' && /^[a-z0-9][a-z0-9-]*$/.test(format);

const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Problems with one parser's facts; `inputLength` bounds offsets when the facts describe that input. */
export function factProblems(facts: readonly Fact[], inputLength?: number): string[] {
  const problems: string[] = [];
  try {
    JSON.stringify(facts);
  } catch (error) {
    problems.push(`facts are not JSON-serialisable: ${(error as Error).message}`);
  }
  for (const fact of facts) {
    const shown = JSON.stringify(fact, (_, value) => (typeof value === 'bigint' ? `${value}n` : value))?.slice(0, 300);
    const problem = (text: string) => problems.push(`${text}: ${shown}`);
    if (typeof fact.kind !== 'string' || (fact.kind as string).length === 0) problem('fact without a kind');
    const record = fact as unknown as Record<string, unknown>;
    if (record.offset !== undefined) {
      if (!isCount(record.offset)) problem('offset is not a non-negative safe integer');
      else if (inputLength !== undefined && (record.offset as number) > inputLength) {
        problem(`offset ${record.offset} lies past the end of the ${inputLength}-byte input`);
      }
    }
    if ('stream' in fact && !isCount(fact.stream)) problem('stream is not a count');
    if ('view' in fact && fact.view !== 'sequential' && fact.view !== 'frame-skipping') problem('unknown view');
    if ('detail' in fact && (typeof fact.detail !== 'string' || fact.detail.length === 0)) problem('empty detail');
    switch (fact.kind) {
      case 'pickle-global':
        if (typeof fact.module !== 'string' || typeof fact.name !== 'string') problem('module or name is not a string');
        if (fact.callPreview !== undefined && fact.callPreview.length > 210) problem('call preview is not bounded');
        break;
      case 'pickle-trailing-bytes':
        if (!isCount(fact.length) || fact.length === 0) problem('trailing length is not a positive count');
        else if (inputLength !== undefined && fact.offset + fact.length > inputLength)
          problem('trailing bytes run past the input');
        break;
      case 'pickle-frame-desync':
        if (!isCount(fact.frameStart) || fact.frameStart > fact.offset) problem('frame start is not before the desync');
        if (typeof fact.frameEnd !== 'number' || !(fact.frameEnd >= 0))
          problem('frame end is not a non-negative number');
        break;
      case 'pickle-memo-miss':
        if (!/^-?\d+$/.test(fact.index)) problem('memo index is not an integer');
        break;
      case 'pickle-stats':
        for (const key of ['opcodes', 'gets', 'puts', 'dups', 'maxStack'] as const) {
          if (!isCount(fact[key])) problem(`${key} is not a count`);
        }
        break;
      case 'limit-reached':
        if (typeof fact.limit !== 'string' || fact.limit === '') problem('limit has no name');
        if (typeof fact.value !== 'number' || !Number.isFinite(fact.value) || fact.value < 0)
          problem('limit value is not finite');
        break;
      case 'archive-bomb':
        if (!isCount(fact.compressed) || !isCount(fact.uncompressed)) problem('bomb sizes are not counts');
        break;
      case 'numpy-object-array':
        if (!fact.shape.every(isCount)) problem('shape holds something other than counts');
        break;
      default:
        break;
    }
  }
  return problems;
}

/** Problems with the artifacts an Analyser emitted for one file. */
export function artifactProblems(artifacts: readonly Artifact[], file: string, maxDepth: number): string[] {
  const problems: string[] = [];
  if (artifacts.length === 0) problems.push('no artifact emitted for the file itself');
  else if (artifacts[0].depth !== 0 || artifacts[0].member !== undefined)
    problems.push('the first artifact is not the file itself');
  for (const artifact of artifacts) {
    const where = `${artifact.member ?? '(file)'} [${artifact.format}]`;
    if (artifact.file !== file) problems.push(`${where}: artifact names file ${artifact.file}`);
    if (!isFormatName(artifact.format)) problems.push(`${where}: not a format name`);
    if (!isCount(artifact.depth) || artifact.depth > maxDepth + 2)
      problems.push(`${where}: depth ${artifact.depth} escapes the limit`);
    for (const problem of factProblems(artifact.facts)) problems.push(`${where}: ${problem}`);
  }
  return problems;
}

/** An error a parser may throw on hostile input: a real Error whose message says where (offset or member). */
export function errorProblem(error: unknown, pattern: RegExp): string | undefined {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (
    error instanceof RangeError ||
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  ) {
    return `crashed with a ${error.name} instead of a clean error: ${error.stack}`;
  }
  if (!pattern.test(error.message)) return `error message does not match ${pattern}: ${error.stack}`;
  return undefined;
}
