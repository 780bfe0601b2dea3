/**
 * Credentials in text files (configs, code, READMEs, notebooks): known token formats, PEM private keys, GCP
 * service-account JSON, and credential-named assignments with random-looking values. Weight blobs never reach text
 * inspectors; vocabularies are skipped by name. The secret itself never enters a fact: only a masked prefix
 * (at most 4 characters, never more than a quarter of it) and its length.
 */
import {
  ASSIGNMENT_PATTERNS,
  NOT_SECRET_NAMES,
  PLACEHOLDER,
  SECRET_PATTERNS,
  shannonEntropy,
} from '../knowledge/secret-patterns.js';
import type { TextInput, TextInspector } from './plugins.js';
import { SourceLines } from './python-tokenizer.js';

export type SecretFact = {
  kind: 'secret';
  /** Pattern id from src/knowledge/secret-patterns.ts. */
  pattern: string;
  line: number;
  column: number;
  /** The first characters of the secret followed by "…": never the secret. */
  masked: string;
  length: number;
  /** The variable or key it was assigned to, when it was an assignment (`api_key`). */
  name?: string;
  /** For PEM blocks: the label (`RSA PRIVATE KEY`). */
  label?: string;
};

export interface SecretMatch {
  pattern: string;
  start: number;
  end: number;
  value: string;
  name?: string;
  label?: string;
}

export interface SecretScanLimits {
  /** Secrets reported per file. */
  maxMatches: number;
  /** Credential-word occurrences examined per file for assignments. */
  maxCandidates: number;
}

export const DEFAULT_SECRET_LIMITS: SecretScanLimits = { maxMatches: 100, maxCandidates: 2_000_000 };

/** The masked form: a prefix of at most 4 characters (and at most a quarter of the secret), then "…". */
export function maskSecret(value: string): string {
  return `${value.slice(0, Math.min(4, Math.floor(value.length / 4)))}…`;
}

/** Replaces every secret found in a text by its masked form (for excerpts other inspectors quote). */
export function redactSecrets(text: string): string {
  const { matches } = findSecrets(text);
  if (matches.length === 0) return text;
  let out = text;
  for (const match of [...matches].sort((a, b) => b.start - a.start)) {
    out = `${out.slice(0, match.start)}${maskSecret(match.value)}[${match.value.length} chars masked]${out.slice(match.end)}`;
  }
  return out;
}

/** Every secret in a text, most specific detectors first; overlapping weaker matches are dropped. */
export function findSecrets(
  text: string,
  limits: SecretScanLimits = DEFAULT_SECRET_LIMITS,
): { matches: SecretMatch[]; truncated: boolean } {
  const matches: SecretMatch[] = [];
  let truncated = false;
  const add = (match: SecretMatch, from = match.start): boolean => {
    if (matches.some((other) => from < other.end && other.start < match.end)) return true;
    if (matches.length >= limits.maxMatches) {
      truncated = true;
      return false;
    }
    matches.push(match);
    return true;
  };
  collect(text, limits, add, () => {
    truncated = true;
  });
  return { matches: matches.sort((a, b) => a.start - b.start), truncated };
}

const PRIVATE_KEY_LABEL = /^[A-Z0-9 _-]{0,100}PRIVATE KEY(?: BLOCK)?$/;

function collect(
  text: string,
  limits: SecretScanLimits,
  add: (match: SecretMatch, from?: number) => boolean,
  limitReached: () => void,
): void {
  for (const match of serviceAccountKeys(text)) if (!add(match)) return;
  for (const match of pemBlocks(text)) if (!add(match)) return;
  for (const pattern of SECRET_PATTERNS) {
    if (!pattern.pattern || !pattern.keywords.some((keyword) => text.includes(keyword))) continue;
    for (const found of text.matchAll(pattern.pattern)) {
      const value = found[1];
      const span = found.indices?.[1];
      if (value === undefined || !span) continue;
      if (shannonEntropy(value) < (pattern.minEntropy ?? 0) || PLACEHOLDER.test(value)) continue;
      if (!add({ pattern: pattern.id, start: span[0], end: span[1], value })) return;
    }
  }
  if (assignments(text, limits.maxCandidates, add) === 'limit') limitReached();
}

/** `-----BEGIN … PRIVATE KEY-----` blocks with at least 64 characters of key material (JSON-escaped too). */
function* pemBlocks(text: string): Generator<SecretMatch> {
  let from = 0;
  for (;;) {
    const start = text.indexOf('-----BEGIN', from);
    if (start < 0) return;
    from = start + 10;
    const headerEnd = text.indexOf('-----', start + 10);
    if (headerEnd < 0 || headerEnd - start > 130) continue;
    const label = text.slice(start + 11, headerEnd).trim();
    if (!PRIVATE_KEY_LABEL.test(label)) continue;
    const bodyStart = headerEnd + 5;
    const endMarker = text.indexOf('-----END', bodyStart);
    const bodyEnd =
      endMarker >= 0 && endMarker - bodyStart <= 65_536 ? endMarker : Math.min(text.length, bodyStart + 4096);
    const body = text.slice(bodyStart, bodyEnd);
    const material = body.replace(/\\[nrt]|[^A-Za-z0-9+/=]/g, '');
    if (material.length < 64 || PLACEHOLDER.test(body)) continue;
    let end = bodyEnd;
    if (endMarker === bodyEnd) {
      const close = text.indexOf('-----', endMarker + 8);
      end = close >= 0 && close - endMarker < 130 ? close + 5 : endMarker + 8;
    }
    from = end;
    yield { pattern: 'private-key', start, end, value: text.slice(start, end), label };
  }
}

/** Google service-account JSON: a `private_key` next to a `client_email`. */
function* serviceAccountKeys(text: string): Generator<SecretMatch> {
  if (!text.includes('"private_key"') || !text.includes('"client_email"')) return;
  for (const found of text.matchAll(/"private_key"\s*:\s*"((?:[^"\\]|\\.){0,16384})"/dg)) {
    const value = found[1];
    const span = found.indices?.[1];
    if (!span || !value.includes('PRIVATE KEY')) continue;
    yield { pattern: 'gcp-service-account', start: span[0], end: span[1], value, label: 'service-account private_key' };
  }
}

const CREDENTIAL_WORD = /access|auth|api|credential|creds|key|passw(?:or)?d|secret|token/;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const MAX_NAME = 64;

/**
 * `name = value`, `name: value`, `"name": "value"`, `name := value`, `name => value`, where the name holds a credential
 * word. Found from the words (a cheap regex over the text), then read locally: linear in the text.
 */
function assignments(
  text: string,
  maxCandidates: number,
  add: (match: SecretMatch, from: number) => boolean,
): 'done' | 'limit' {
  let candidates = 0;
  let lastNameEnd = -1;
  const words = new RegExp(CREDENTIAL_WORD.source, 'gi');
  for (let word = words.exec(text); word; word = words.exec(text)) {
    if (++candidates > maxCandidates) return 'limit';
    let nameStart = word.index;
    while (nameStart > 0 && word.index - nameStart < MAX_NAME && NAME_CHAR.test(text[nameStart - 1])) nameStart--;
    let nameEnd = word.index + word[0].length;
    while (nameEnd < text.length && nameEnd - word.index < MAX_NAME && NAME_CHAR.test(text[nameEnd])) nameEnd++;
    words.lastIndex = Math.max(words.lastIndex, nameEnd);
    if (nameEnd === lastNameEnd) continue;
    lastNameEnd = nameEnd;
    const found = readAssignment(text, nameEnd);
    if (!found) continue;
    const name = text.slice(nameStart, nameEnd);
    if (NOT_SECRET_NAMES.test(name)) continue;
    const { value, start } = found;
    if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value) || PLACEHOLDER.test(value)) continue;
    if (/\.[A-Za-z][A-Za-z0-9]{1,11}$/.test(value) || /^[\d.]+$/.test(value)) continue; // file names, versions
    const pattern = ASSIGNMENT_PATTERNS.find(
      (candidate) =>
        candidate.name.test(name) && candidate.value.test(value) && shannonEntropy(value) >= candidate.minEntropy,
    );
    if (!pattern) continue;
    // The name's span counts too: a token used as a key must not come back as a name.
    if (!add({ pattern: pattern.id, start, end: start + value.length, value, name }, nameStart)) return 'done';
  }
  return 'done';
}

const ASSIGNMENT_OPERATORS = [':=', '=>', '=', ':'];

/** The value assigned right after a name ending at `at`, if the text reads as an assignment. */
function readAssignment(text: string, at: number): { value: string; start: number } | undefined {
  let i = at;
  if (text[i] === '"' || text[i] === "'" || text[i] === '`') i++;
  i = skipBlanks(text, i, 5);
  const operator = ASSIGNMENT_OPERATORS.find((candidate) => text.startsWith(candidate, i));
  if (!operator) return undefined;
  i += operator.length;
  if (text[i] === '=') return undefined; // ==
  i = skipBlanks(text, i, 5);
  const prefix = /^[rbuRBU]{1,2}(?=["'])/.exec(text.slice(i, i + 3));
  if (prefix) i += prefix[0].length;
  const quote = text[i] === '"' || text[i] === "'" || text[i] === '`' ? text[i] : undefined;
  if (quote) i++;
  const scheme = /^(?:Bearer|Basic|token)\s+/i.exec(text.slice(i, i + 10));
  if (scheme) i += scheme[0].length;
  const start = i;
  if (quote) {
    while (i < text.length && i - start <= 200 && text[i] !== quote && !/\s/.test(text[i])) i++;
    if (text[i] !== quote) return undefined;
  } else {
    while (i < text.length && i - start <= 200 && /[A-Za-z0-9_+/=~-]/.test(text[i])) i++;
    if (i < text.length && !/[\s,;})\]]/.test(text[i])) return undefined; // a call, attribute or expression
  }
  if (i - start < 12 || i - start > 200) return undefined;
  return { value: text.slice(start, i), start };
}

function skipBlanks(text: string, at: number, max: number): number {
  let i = at;
  while (i < text.length && i - at < max && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

/** Vocabularies: large, random-looking by nature, never carry credentials. */
const VOCABULARY = /^(tokenizer\.json|vocab\.(txt|json)|merges\.txt|bpe\.codes|dict\.txt|.*\.vocab)$/i;

export const secretsInspector: TextInspector = {
  accepts: ({ name, format }) =>
    (format === 'text' || format === 'json') && !VOCABULARY.test(name.split(/[\\/]/).pop() ?? name),
  inspect({ text, facts }: TextInput) {
    const { matches, truncated } = findSecrets(text);
    if (matches.length > 0) {
      const lines = new SourceLines(text);
      for (const match of matches) {
        const { line, column } = lines.position(match.start);
        facts.push({
          kind: 'secret',
          pattern: match.pattern,
          line,
          column,
          masked: maskSecret(match.value),
          length: match.value.length,
          ...(match.name ? { name: match.name.slice(0, 100) } : {}),
          ...(match.label ? { label: match.label } : {}),
        });
      }
    }
    if (truncated) {
      facts.push({
        kind: 'limit-reached',
        limit: 'secrets',
        value: DEFAULT_SECRET_LIMITS.maxMatches,
        detail: `more than ${DEFAULT_SECRET_LIMITS.maxMatches} secrets (or credential-like words); the rest were not listed`,
      });
    }
  },
};
