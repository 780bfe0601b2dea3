/**
 * Licence files (LICENSE, LICENCE, COPYING, NOTICE, USE_POLICY) at the top of a model folder: their text is reduced to
 * a fingerprint, the set of hashed word bigrams after normalisation in the spirit of the SPDX matching guidelines
 * (case, punctuation, quotes, bullets, copyright lines and British spellings do not matter). Which licence a
 * fingerprint matches is the compliance engine's question, not the parser's.
 */
import type { TextInspector } from './plugins.js';

export type LicenceFileRole = 'licence' | 'notice' | 'use-policy';

export interface LicenceTextFact {
  kind: 'licence-text';
  role: LicenceFileRole;
  /** Words left after normalisation. */
  words: number;
  /** Sorted, distinct FNV-1a hashes of consecutive normalised word pairs. */
  bigrams: number[];
}

const LICENCE_FILE = /^(licen[cs]e|copying|notice|use[_-]?policy|acceptable[_-]use[_-]policy)([._-][\w.+-]*)?$/i;

export const licenceTextInspector: TextInspector = {
  // Only files at the top of the model folder speak for the model (a vendored library's LICENSE deeper down does not).
  accepts: ({ name, container, file, format }) =>
    container === undefined && file === name && format === 'text' && isLicenceFileName(name),
  inspect(input) {
    input.facts.push(licenceTextFact(input.name, input.text));
  },
};

/** Licence texts run to tens of KiB (GPL-3.0 is 35 KiB); past this only the start is fingerprinted. */
const MAX_LICENCE_CHARS = 256 << 10;

/** The fingerprint of one licence file (also used for the licence files beside ancestors' cards). */
export function licenceTextFact(name: string, text: string): LicenceTextFact {
  const words = normaliseLicenceText(text.length > MAX_LICENCE_CHARS ? text.slice(0, MAX_LICENCE_CHARS) : text);
  return { kind: 'licence-text', role: roleOf(name), words: words.length, bigrams: bigrams(words) };
}

/** Whether a file name is one the inspector reads (LICENSE, NOTICE, USE_POLICY.md, COPYING, ...). */
export function isLicenceFileName(name: string): boolean {
  return LICENCE_FILE.test(name);
}

function roleOf(name: string): LicenceFileRole {
  if (/^notice/i.test(name)) return 'notice';
  if (/use[_-]?policy/i.test(name)) return 'use-policy';
  return 'licence';
}

/** Equivalent spellings the SPDX guidelines tell matchers to treat as one word (a short subset of their list). */
const SAME_WORD: Readonly<Record<string, string>> = {
  licence: 'license',
  licences: 'licenses',
  licensor: 'licensor',
  licenced: 'licensed',
  sublicence: 'sublicense',
  'per cent': 'percent',
  copyright: 'copyright',
  acknowledgement: 'acknowledgment',
  authorisation: 'authorization',
  authorised: 'authorized',
  organisation: 'organization',
  organisations: 'organizations',
  utilise: 'utilize',
  utilisation: 'utilization',
  behaviour: 'behavior',
  characterise: 'characterize',
  recognised: 'recognized',
  offence: 'offense',
  favour: 'favor',
};

/** Lowercased words of a licence text, with copyright lines, URLs' schemes, bullets and punctuation removed. */
export function normaliseLicenceText(text: string): string[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    // Copyright notices name the holder, which differs between copies of the same licence.
    .filter((line) => !/^\W*(copyright\b|\(c\)|©)/i.test(line.trim()));
  const flat = lines
    .join(' ')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b`´]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f«»]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/https?:\/\//g, ' ');
  const words: string[] = [];
  // Version numbers ("llama 3.1", "2.0") stay whole; every other punctuation mark separates words.
  for (const [word] of flat.matchAll(/\d+(?:\.\d+)+|[\p{L}\p{N}]+/gu)) {
    // List markers: (a), 1., i., ii. become lone letters or numerals that carry no meaning.
    if (/^([a-z]|[ivx]{1,4}|\d{1,2})$/.test(word) && word !== 'a' && word !== 'i') continue;
    words.push(SAME_WORD[word] ?? word);
  }
  return words;
}

export function bigrams(words: readonly string[]): number[] {
  const hashes = new Set<number>();
  for (let index = 1; index < words.length; index++) hashes.add(fnv1a(`${words[index - 1]} ${words[index]}`));
  return [...hashes].sort((a, b) => a - b);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
