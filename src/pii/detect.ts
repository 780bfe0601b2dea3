/**
 * Personal-data detectors for any text: e-mail addresses, phone numbers, payment cards, IBANs, US SSNs and IP
 * addresses. Each candidate comes from a regex with no nested ambiguity (a bounded amount of backtracking per
 * start position, so the scan is linear in the text), is checked by a validator (Luhn, mod-97, SSA ranges, ...)
 * and scored from its shape and the words before it. The raw value never leaves this module: matches carry a
 * masked form.
 */
import {
  BASE_CONFIDENCE,
  CONTEXT_BOOST,
  CONTEXT_WORDS,
  DEFAULT_MIN_CONFIDENCE,
  EXAMPLE_EMAIL_DOMAINS,
  NOT_PERSONAL_CONTEXT,
  NOT_PERSONAL_PENALTY,
  PERSONAL_DATA_KINDS,
  type PersonalDataKind,
  TEST_CARD_NUMBERS,
} from '../knowledge/privacy-pii.js';
import { classifyIp, validateCard, validateIban, validateSsn } from './validators.js';

export interface PersonalDataMatch {
  kind: PersonalDataKind;
  /** UTF-16 offset of the match in the text. */
  offset: number;
  length: number;
  /** The value with most characters replaced by `*`: never the value itself. */
  masked: string;
  /** 0–1: the pattern's base score, raised by context words, lowered by version/digest context. */
  confidence: number;
  /** Card brand, IBAN country, IP version, "role address", ... */
  detail?: string;
  /** The word that changed the score (`"ssn"`, `"version"`), when one did. */
  context?: string;
}

export interface DetectOptions {
  /** Kinds to look for; all by default. */
  kinds?: readonly PersonalDataKind[];
  /** Matches scoring below this are dropped (default 0.4, Presidio's context floor). */
  minConfidence?: number;
  /** Matches kept in `matches`; counting goes on past it (default 1000). */
  maxMatches?: number;
  /** Words that apply to the whole text, such as a CSV column name or a JSON key (`"customer_email"`). */
  context?: string;
}

export interface PersonalDataScan {
  matches: PersonalDataMatch[];
  /** Every match at or above the threshold, including those past `maxMatches`. */
  counts: Record<PersonalDataKind, number>;
  /** True when more matches were found than kept. */
  truncated: boolean;
}

export const DEFAULT_MAX_MATCHES = 1000;

interface Candidate {
  kind: PersonalDataKind;
  start: number;
  end: number;
  base: number;
  masked: string;
  detail?: string;
  /** A published test or example value: identifies nobody whatever the context says. */
  published?: boolean;
  /** Version-like shape (an IPv4 address of single digits): penalised unless a context word vouches for it. */
  versionLike?: boolean;
}

/** Finds personal data in `text`; linear in its length, memory bounded by `maxMatches` plus one byte per character. */
export function detectPersonalData(text: string, options: DetectOptions = {}): PersonalDataScan {
  const kinds = new Set(options.kinds ?? PERSONAL_DATA_KINDS);
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const maxMatches = options.maxMatches ?? DEFAULT_MAX_MATCHES;
  const fieldTokens = options.context ? tokens(options.context) : [];
  const counts = Object.fromEntries(PERSONAL_DATA_KINDS.map((kind) => [kind, 0])) as Record<PersonalDataKind, number>;
  const matches: PersonalDataMatch[] = [];
  let truncated = false;
  // Most specific detectors first; a span claimed by one is not offered to the next (an IBAN's digits are no phone).
  const claimed = new Uint8Array(text.length);
  for (const detector of DETECTORS) {
    for (const candidate of detector(text)) {
      if (!kinds.has(candidate.kind) || isClaimed(claimed, candidate)) continue;
      const scored = score(text, candidate, fieldTokens);
      if (scored.confidence < minConfidence) continue;
      claimed.fill(1, candidate.start, candidate.end);
      counts[candidate.kind]++;
      if (matches.length >= maxMatches) {
        truncated = true;
        continue;
      }
      matches.push({
        kind: candidate.kind,
        offset: candidate.start,
        length: candidate.end - candidate.start,
        masked: candidate.masked,
        confidence: scored.confidence,
        ...(candidate.detail ? { detail: candidate.detail } : {}),
        ...(scored.context ? { context: scored.context } : {}),
      });
    }
  }
  matches.sort((a, b) => a.offset - b.offset);
  return { matches, counts, truncated };
}

function isClaimed(claimed: Uint8Array, candidate: Candidate): boolean {
  for (let i = candidate.start; i < candidate.end; i++) if (claimed[i]) return true;
  return false;
}

// ---- scoring -----------------------------------------------------------------------------------------------

const CONTEXT_WINDOW = 48;
const CONTEXT_TOKENS = 5;
const HEX_RUN = /[0-9A-Fa-f-]/;

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function mentions(token: string, word: string): boolean {
  // Short words must match whole tokens ("cc", "ip", "tel"); longer ones may sit inside ("customer_email" → "email").
  return word.length <= 3 ? token === word : token.includes(word);
}

function score(
  text: string,
  candidate: Candidate,
  fieldTokens: readonly string[],
): { confidence: number; context?: string } {
  const before = tokens(text.slice(Math.max(0, candidate.start - CONTEXT_WINDOW), candidate.start)).slice(
    -CONTEXT_TOKENS,
  );
  const nearby = [...fieldTokens, ...before];
  const words = CONTEXT_WORDS[candidate.kind];
  const boost = nearby.find((token) => words.some((word) => mentions(token, word)));
  let confidence = candidate.base;
  let context: string | undefined;
  if (boost && !candidate.published) {
    confidence += CONTEXT_BOOST;
    context = boost;
  }
  const against = notPersonalContext(text, candidate, [...fieldTokens, ...before.slice(-2)]);
  if (against) {
    confidence -= NOT_PERSONAL_PENALTY;
    context = against;
  } else if (candidate.versionLike && !boost) {
    confidence -= NOT_PERSONAL_PENALTY;
    context = 'looks like a version number';
  }
  return { confidence: Math.round(Math.min(1, Math.max(0, confidence)) * 100) / 100, context };
}

/** Why the match is probably a version, digest or identifier, if it is. */
function notPersonalContext(text: string, candidate: Candidate, words: readonly string[]): string | undefined {
  if (candidate.kind === 'email') return undefined;
  const operator = text.slice(Math.max(0, candidate.start - 3), candidate.start);
  if (/(?:[=<>~!]=|[\^~@])\s?$/.test(operator)) return 'a version constraint';
  // Part of a longer run of hex digits and dashes (a digest, a UUID) that has hex letters in it.
  let left = candidate.start;
  while (left > 0 && candidate.start - left < 64 && HEX_RUN.test(text[left - 1] as string)) left--;
  let right = candidate.end;
  while (right < text.length && right - candidate.end < 64 && HEX_RUN.test(text[right] as string)) right++;
  if (right - left > candidate.end - candidate.start + 2 && /[a-fA-F]/.test(text.slice(left, right)))
    return 'part of a digest or UUID';
  for (const word of words) {
    const known = NOT_PERSONAL_CONTEXT.find((entry) => entry.word.test(word));
    if (known) return `${word} (${known.reason})`;
  }
  return undefined;
}

// ---- detectors ---------------------------------------------------------------------------------------------

type Detector = (text: string) => Iterable<Candidate>;

/** ASCII lookup tables: a per-character regex test costs more than the rest of the e-mail scan. */
function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  return table;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOCAL_CHARS = charTable(`${ALNUM}._%+-`);
const DOMAIN_CHARS = charTable(`${ALNUM}.-`);
const isIn = (table: Uint8Array, text: string, index: number) => table[text.charCodeAt(index)] === 1;
const ROLE_ACCOUNTS =
  /^(?:no-?reply|do-?not-?reply|info|support|admin|contact|hello|team|security|privacy|abuse|postmaster|webmaster|sales|git|press|help|legal)$/i;
/** `icon@2x.png`: asset names, not addresses. */
const FILE_SUFFIX = /\.(?:png|jpe?g|gif|svg|webp|ico|bmp|tiff?)$/i;

/** From each `@`, read the local part leftwards and the domain rightwards (linear: each `@` reads at most 317 chars). */
function* emails(text: string): Generator<Candidate> {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start <= 64 && isIn(LOCAL_CHARS, text, start - 1)) start--;
    let end = at + 1;
    while (end < text.length && end - at <= 253 && isIn(DOMAIN_CHARS, text, end)) end++;
    while (start < at && text[start] === '.') start++;
    while (end > at + 1 && /[.-]/.test(text[end - 1] as string)) end--;
    const local = text.slice(start, at);
    const domain = text.slice(at + 1, end);
    if (!local || at - start > 64 || local.endsWith('.') || local.includes('..')) continue;
    if (start > 0 && isIn(LOCAL_CHARS, text, start - 1)) continue; // the local part ran over its limit
    const labels = domain.split('.');
    const tld = labels[labels.length - 1] as string;
    if (labels.length < 2 || !/^[A-Za-z]{2,24}$/.test(tld) || FILE_SUFFIX.test(domain)) continue;
    if (labels.some((label) => !label || label.length > 63 || label.startsWith('-') || label.endsWith('-'))) continue;
    const example = EXAMPLE_EMAIL_DOMAINS.test(domain);
    const role = ROLE_ACCOUNTS.test(local);
    yield {
      kind: 'email',
      start,
      end,
      published: example,
      base: example ? BASE_CONFIDENCE.published : role ? BASE_CONFIDENCE.email - 0.4 : BASE_CONFIDENCE.email,
      masked: `${local[0]}***@${(labels[0] as string)[0]}***.${tld}`,
      ...(example ? { detail: 'reserved example domain' } : role ? { detail: 'role address, not a person' } : {}),
    };
  }
}

/** Upper-case IBANs, compact or printed in groups of four. */
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

function* ibans(text: string): Generator<Candidate> {
  for (const found of text.matchAll(IBAN_CANDIDATE)) {
    const value = found[0];
    const check = validateIban(value);
    if (!check.valid) continue;
    yield {
      kind: 'iban',
      start: found.index,
      end: found.index + value.length,
      base: BASE_CONFIDENCE.iban,
      masked: maskKeeping(value, 2, 4),
      detail: check.detail,
    };
  }
}

/**
 * Digits with single separators between them (space, dash, dot, slash, parentheses), optionally after `+`: one
 * character class and one quantifier, so a failing candidate backtracks at most its own length.
 */
const NUMBER_CANDIDATE = /(?<![\w+./:-])(?:\+|\(?)\d[\d ()./-]{5,24}\d(?![\w/:]|[.-]\d)/g;
const SSN_SHAPE = /^\d{3}([- .]?)\d{2}\1\d{4}$/;
const DATE_SHAPE = /^(?:\d{4}[./ -]\d{1,2}[./ -]\d{1,2}|\d{1,2}[./ -]\d{1,2}[./ -]\d{2,4})$/;
const NANP = /^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}$/;
const NATIONAL_TRUNK = /^(?:0\d{1,4}|\(0\d{1,4}\))[ ./-]?\d{2,8}(?:[ .-]\d{2,4}){0,3}$/;

/** Payment cards, SSNs and phone numbers share one candidate pass; a candidate is the first of them it validates as. */
function* numbers(text: string): Generator<Candidate> {
  for (const found of text.matchAll(NUMBER_CANDIDATE)) {
    const value = found[0];
    const start = found.index;
    const end = start + value.length;
    const candidate = asCard(value) ?? asSsn(value) ?? asPhone(value);
    if (candidate && candidate !== NOT_PERSONAL) yield { ...candidate, start, end };
  }
}

type Shaped = Omit<Candidate, 'start' | 'end'>;
/** A shape that settles what the number is and that it is not personal (a published fake SSN is no phone number). */
const NOT_PERSONAL = 'not-personal';

function asCard(value: string): Shaped | undefined {
  const separators = new Set(value.replace(/\d/g, ''));
  if (separators.size > 1 || (separators.size === 1 && !separators.has(' ') && !separators.has('-'))) return undefined;
  const groups = value.split(/[ -]/);
  if (groups.length > 1 && (groups[0]?.length !== 4 || groups.some((group) => group.length > 6))) return undefined;
  const digits = groups.join('');
  const check = validateCard(digits);
  if (!check.valid) return undefined;
  const test = TEST_CARD_NUMBERS.get(digits);
  return {
    kind: 'credit-card',
    published: test !== undefined,
    base: test
      ? BASE_CONFIDENCE.published
      : groups.length > 1
        ? BASE_CONFIDENCE.creditCard
        : BASE_CONFIDENCE.creditCard - 0.2,
    masked: maskKeeping(value, 0, 4),
    detail: test ? `${check.detail}, ${test}` : check.detail,
  };
}

function asSsn(value: string): Shaped | typeof NOT_PERSONAL | undefined {
  const shape = SSN_SHAPE.exec(value);
  if (!shape) return undefined;
  // 123-45-6789 written with delimiters is an SSN or nothing; nine bare digits may still be a phone number.
  if (!validateSsn(value).valid) return shape[1] ? NOT_PERSONAL : undefined;
  return {
    kind: 'us-ssn',
    base: shape[1] ? BASE_CONFIDENCE.ssnDelimited : BASE_CONFIDENCE.ssnBare,
    masked: maskKeeping(value, 0, 2),
  };
}

function asPhone(value: string): Shaped | undefined {
  if (DATE_SHAPE.test(value) || /[ ./()-]{2}/.test(value.replace(/\) /g, ')').replace(/ \(/g, '('))) return undefined;
  const digits = value.replace(/\D/g, '');
  if (/^(\d)\1+$/.test(digits)) return undefined;
  const masked = maskKeeping(value, 0, 2);
  if (value.startsWith('+')) {
    // E.164: a country code and at most 15 digits; no group longer than the longest national block.
    const groups = value.slice(1).split(/[ ./()-]+/);
    if (digits.length < 8 || digits.length > 15 || groups.some((group) => group.length > 10)) return undefined;
    return { kind: 'phone', base: BASE_CONFIDENCE.phoneInternational, masked, detail: 'international' };
  }
  if (value.startsWith('00') && digits.length >= 10 && digits.length <= 15 && /[ .-]/.test(value))
    return { kind: 'phone', base: BASE_CONFIDENCE.phoneInternational, masked, detail: 'international (00 prefix)' };
  if (NANP.test(value)) return { kind: 'phone', base: BASE_CONFIDENCE.phoneNational, masked, detail: 'North American' };
  if (NATIONAL_TRUNK.test(value) && digits.length >= 9 && digits.length <= 12 && /[ ./()-]/.test(value))
    return { kind: 'phone', base: BASE_CONFIDENCE.phoneNational, masked, detail: 'national (trunk prefix 0)' };
  return undefined;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_CANDIDATE = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\w|\\.\\d)`, 'g');
/** Hex groups joined by colons; each repetition starts with `:`, so there is one way to split a candidate. */
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;

function* ipAddresses(text: string): Generator<Candidate> {
  for (const pattern of [IPV4_CANDIDATE, IPV6_CANDIDATE]) {
    for (const found of text.matchAll(pattern)) {
      const value = found[0];
      const ip = classifyIp(value);
      if (!ip?.public) continue;
      yield {
        kind: 'ip-address',
        start: found.index,
        end: found.index + value.length,
        base: BASE_CONFIDENCE.ipAddress,
        masked: ip.version === 4 ? `${value.split('.')[0]}.*.*.*` : `${value.split(':')[0] || ''}:*:*`,
        detail: `IPv${ip.version}`,
        versionLike: ip.version === 4 && value.split('.').every((octet) => octet.length === 1),
      };
    }
  }
}

const DETECTORS: readonly Detector[] = [emails, ibans, numbers, ipAddresses];

/** Keeps the first `head` and last `tail` alphanumerics, replaces the others by `*`, leaves separators as they are. */
export function maskKeeping(value: string, head: number, tail: number): string {
  const total = value.replace(/[^A-Za-z0-9]/g, '').length;
  let seen = 0;
  let out = '';
  for (const char of value) {
    if (!/[A-Za-z0-9]/.test(char)) {
      out += char;
      continue;
    }
    out += seen < head || seen >= total - tail ? char : '*';
    seen++;
  }
  return out;
}
