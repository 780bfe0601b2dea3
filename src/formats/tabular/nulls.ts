/**
 * Text tokens read as a missing value in CSV (and in JSONL strings): pandas' default `na_values`, so a file that
 * pandas reads with NaNs gets the same null counts here. JSON `null` and an empty CSV field are always missing.
 */
export const NULL_TOKENS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

/** A cell that counts as missing once read: no value, JSON null, or a NaN the reader produced. */
export function isMissing(cell: unknown): cell is null | undefined {
  return cell === null || cell === undefined || (typeof cell === 'number' && Number.isNaN(cell));
}
