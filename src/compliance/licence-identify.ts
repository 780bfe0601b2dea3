/**
 * Which known licence a licence file's text is: its word-bigram fingerprint is compared with the shipped fingerprints
 * of the model licences and with the SPDX texts of the licences in our table (spdx-license-list, loaded on first use).
 * Score = the Sørensen–Dice coefficient, or, for a file holding a known text plus more (a use policy or third-party
 * notices appended), the share of the reference's bigrams found in it.
 */
import { createRequire } from 'node:module';
import type { LicenceTextFact } from '../formats/licence-text.js';
import { bigrams, normaliseLicenceText } from '../formats/licence-text.js';
import { LICENCE_FINGERPRINTS } from '../knowledge/licence-fingerprints.js';
import { LICENCES } from '../knowledge/licences.js';

/** Below this Dice score a text is not identified (licences of one family score 0.76–0.99 against each other). */
export const MATCH_THRESHOLD = 0.9;
/** Licences scoring within this margin of the best are indistinguishable (e.g. the Llama 2 and 3 use policies). */
const TIE_MARGIN = 0.005;

export interface TextMatch {
  /** Licences the text may be: one when identified, several when tied, none below the threshold. */
  candidates: string[];
  /** Best score among the candidates (or of the closest licence when none passed the threshold). */
  score: number;
  best?: string;
  /** The closest licence that is not a candidate, so a reader sees the margin. */
  runnerUp?: { licence: string; score: number };
}

interface Reference {
  licence: string;
  role: 'licence' | 'use-policy';
  bigrams: ReadonlySet<number>;
}

let references: Reference[] | undefined;

function loadReferences(): Reference[] {
  if (references) return references;
  const shipped = LICENCE_FINGERPRINTS.map((entry) => ({
    licence: entry.licence,
    role: entry.role,
    bigrams: new Set(unpack(entry.bigrams)),
  }));
  const spdxTexts = createRequire(import.meta.url)('spdx-license-list/full.js') as Record<
    string,
    { licenseText: string }
  >;
  const fromSpdx: Reference[] = [];
  for (const entry of LICENCES.values()) {
    if (!entry.text || !('spdx' in entry.text)) continue;
    const text = spdxTexts[entry.text.spdx]?.licenseText;
    if (text)
      fromSpdx.push({ licence: entry.id, role: 'licence', bigrams: new Set(bigrams(normaliseLicenceText(text))) });
  }
  references = [...shipped, ...fromSpdx];
  return references;
}

function unpack(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.byteLength; offset += 4) values.push(view.getUint32(offset, true));
  return values;
}

/** Identifies a licence file: use policies are compared with use policies, everything else with licence texts. */
export function identifyLicenceText(fact: Pick<LicenceTextFact, 'role' | 'bigrams'>): TextMatch {
  const role = fact.role === 'use-policy' ? 'use-policy' : 'licence';
  const text = new Set(fact.bigrams);
  const scores = new Map<string, Similarity>();
  for (const reference of loadReferences()) {
    if (reference.role !== role) continue;
    const score = similarity(text, reference.bigrams);
    const known = scores.get(reference.licence);
    if (!known || score.dice > known.dice) scores.set(reference.licence, score);
  }
  // A reference present whole in the text (perhaps with notices appended); failing that, a text close to one (a
  // reworded copy). Either way the licence sharing the most wording wins, so a CC BY-NC text is not taken for the
  // CC BY text whose wording it contains, nor Llama 3.1 plus its use policy for Llama 3 (whose file embeds a policy).
  const contained = [...scores].filter(([, score]) => score.containment >= CONTAINED);
  const pool = contained.length > 0 ? contained : [...scores].filter(([, score]) => score.dice >= MATCH_THRESHOLD);
  const rankByDice = (list: [string, Similarity][]) => [...list].sort((a, b) => b[1].dice - a[1].dice);
  const [top] = rankByDice(pool);
  const reported = (score: Similarity) => round(score.dice >= MATCH_THRESHOLD ? score.dice : score.containment);
  if (!top) {
    const [closest] = rankByDice([...scores]);
    return closest ? { candidates: [], score: round(closest[1].dice), best: closest[0] } : { candidates: [], score: 0 };
  }
  const candidates = rankByDice(pool)
    .filter(([, score]) => score.dice >= top[1].dice - TIE_MARGIN)
    .map(([licence]) => licence);
  const other = rankByDice([...scores]).find(([licence]) => !candidates.includes(licence));
  return {
    candidates,
    score: reported(top[1]),
    best: top[0],
    runnerUp: other && { licence: other[0], score: round(other[1].dice) },
  };
}

/** Share of a reference's bigrams a text must hold to count as containing it. */
const CONTAINED = 0.97;

interface Similarity {
  dice: number;
  containment: number;
}

function similarity(text: ReadonlySet<number>, reference: ReadonlySet<number>): Similarity {
  if (text.size === 0 || reference.size === 0) return { dice: 0, containment: 0 };
  let shared = 0;
  for (const hash of text) if (reference.has(hash)) shared++;
  return { dice: (2 * shared) / (text.size + reference.size), containment: shared / reference.size };
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
