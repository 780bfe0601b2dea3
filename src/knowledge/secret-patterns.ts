/**
 * Credentials that should never ship inside a model repository, after gitleaks' rule set (MIT, gitleaks/gitleaks
 * `config/gitleaks.toml`), each with the reason it is here. Patterns are written in gitleaks / RE2 syntax and
 * translated when loaded: Node 20 (V8 11.3) rejects inline modifiers such as `(?i:…)`, `(?-i:…)` and a leading `(?i)`.
 *
 * Three families, one rule each, so a policy can tune the noisy one without touching the others:
 * - `token`: formats with a recognisable prefix (hf_, sk-ant-, AKIA, ghp_, ...): near-certain.
 * - `private-key`: PEM private key blocks and GCP service-account JSON: the key itself.
 * - `generic`: `api_key = "…"`-style assignments judged by entropy: likely, needs review.
 */
import type { Severity } from '../core/severity.js';

export type SecretFamily = 'token' | 'private-key' | 'generic';

export interface SecretPattern {
  id: string;
  /** What the secret is, for messages ("Hugging Face access token"). */
  description: string;
  family: SecretFamily;
  severity: Severity;
  reason: string;
  /** Case-sensitive literals one of which must occur before the pattern runs (cheap pre-filter). */
  keywords: readonly string[];
  /** The pattern (flags g and d: global, with match indices); capture group 1 is the secret. Absent for detectors written as code (PEM, GCP). */
  pattern?: RegExp;
  /** Minimum Shannon entropy of the secret, in bits per character. */
  minEntropy?: number;
}

/** An assignment whose variable name says "secret": judged on the name and the value. */
export interface AssignmentPattern {
  id: string;
  description: string;
  family: SecretFamily;
  severity: Severity;
  reason: string;
  name: RegExp;
  value: RegExp;
  minEntropy: number;
}

/**
 * Translates gitleaks' RE2 inline modifiers for V8 11.3 (Node 20):
 * a leading `(?i)` (or `(?s)`, `(?m)`) becomes a flag; `(?i:X)` becomes `(?:X')` where every letter in X, inside
 * or outside a character class, also matches its other case; `(?-i:X)` becomes `(?:X)`.
 */
export function translateInlineFlags(source: string, flags = 'g'): RegExp {
  let body = source;
  let outFlags = flags;
  const leading = /^\(\?([ims]+)\)/.exec(body);
  if (leading) {
    for (const flag of leading[1]) if (!outFlags.includes(flag)) outFlags += flag;
    body = body.slice(leading[0].length);
  }
  let out = '';
  let i = 0;
  while (i < body.length) {
    if (body[i] === '\\') {
      out += body.slice(i, i + 2);
      i += 2;
      continue;
    }
    const modifier = /^\(\?(-?)i:/.exec(body.slice(i, i + 5));
    if (modifier) {
      const end = groupEnd(body, i);
      const inner = body.slice(i + modifier[0].length, end);
      out += `(?:${modifier[1] === '-' ? inner : caseless(inner)})`;
      i = end + 1;
      continue;
    }
    out += body[i++];
  }
  return new RegExp(out, outFlags);
}

/** Index of the `)` closing the group opened at `start`. */
function groupEnd(source: string, start: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced group in pattern ${JSON.stringify(source)}`);
}

/** Makes letters in a regex body match both cases. */
function caseless(body: string): string {
  let out = '';
  let i = 0;
  const other = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
  while (i < body.length) {
    const c = body[i];
    if (c === '\\') {
      out += body.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '[') {
      const close = body.indexOf(']', i + 2);
      const inner = body.slice(i + 1, close < 0 ? body.length : close);
      let extra = '';
      for (const range of inner.matchAll(/([A-Za-z])-([A-Za-z])/g)) extra += `${other(range[1])}-${other(range[2])}`;
      for (const single of inner.replace(/[A-Za-z]-[A-Za-z]/g, '').matchAll(/(?<!\\)[A-Za-z]/g))
        extra += other(single[0]);
      out += `[${inner}${extra}]`;
      i = close < 0 ? body.length : close + 1;
      continue;
    }
    out += /[A-Za-z]/.test(c) ? `[${c}${other(c)}]` : c;
    i++;
  }
  return out;
}

const token = (
  id: string,
  description: string,
  severity: Severity,
  keywords: readonly string[],
  source: string,
  minEntropy: number,
  reason: string,
): SecretPattern => ({
  id,
  description,
  family: 'token',
  severity,
  reason,
  keywords,
  pattern: translateInlineFlags(source, 'gd'),
  minEntropy,
});

const TOKEN_PASSES = 'anyone with the file can use it until it is revoked';

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'private-key',
    description: 'private key (PEM block)',
    family: 'private-key',
    severity: 'critical',
    reason: 'a private key impersonates its owner (TLS server, SSH login, signing identity) until it is replaced',
    keywords: ['-----BEGIN'],
  },
  {
    id: 'gcp-service-account',
    description: 'Google Cloud service-account key',
    family: 'private-key',
    severity: 'critical',
    reason: 'a service-account JSON key grants that account’s cloud permissions to anyone who holds it',
    keywords: ['"private_key"'],
  },
  token(
    'huggingface-access-token',
    'Hugging Face access token',
    'high',
    ['hf_'],
    // gitleaks allows letters only; trufflehog's detector accepts digits too: the broader reading is kept.
    String.raw`\b(hf_(?i:[a-z0-9]{34}))(?![A-Za-z0-9])`,
    3,
    `reads (and, with write scope, replaces) the owner’s models and datasets on the Hub; ${TOKEN_PASSES}`,
  ),
  token(
    'huggingface-organization-token',
    'Hugging Face organization API token',
    'high',
    ['api_org_'],
    String.raw`\b(api_org_(?i:[a-z0-9]{34}))(?![A-Za-z0-9])`,
    3,
    `acts for a whole Hub organization; ${TOKEN_PASSES}`,
  ),
  token(
    'anthropic-api-key',
    'Anthropic API key',
    'high',
    ['sk-ant-'],
    String.raw`\b(sk-ant-(?:api|admin|oat|sid)\d{2}-[\w-]{80,120})(?![\w-])`,
    3,
    `spends the owner’s Anthropic credit and reads their workspace; ${TOKEN_PASSES}`,
  ),
  token(
    'openai-api-key',
    'OpenAI API key',
    'high',
    ['sk-'],
    String.raw`\b(sk-(?:(?:proj|svcacct|admin)-[\w-]{20,200}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))(?![\w-])`,
    3,
    `spends the owner’s OpenAI credit and reads their files and fine-tunes; ${TOKEN_PASSES}`,
  ),
  token(
    'aws-access-key-id',
    'AWS access key id',
    'high',
    ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    String.raw`\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`,
    3,
    'names an AWS account’s key; useless alone but its secret key usually sits next to it',
  ),
  token(
    'gcp-api-key',
    'Google Cloud API key',
    'high',
    ['AIza'],
    String.raw`\b(AIza[\w-]{35})(?![\w-])`,
    3.5,
    `bills Google Cloud APIs to the owner’s project; ${TOKEN_PASSES}`,
  ),
  token(
    'github-token',
    'GitHub token',
    'high',
    ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    String.raw`\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})(?![A-Za-z0-9])`,
    3,
    `acts as the owner on GitHub (their repositories, packages, workflows); ${TOKEN_PASSES}`,
  ),
  token(
    'github-fine-grained-pat',
    'GitHub fine-grained personal access token',
    'high',
    ['github_pat_'],
    String.raw`\b(github_pat_\w{82})(?!\w)`,
    3,
    `acts as the owner on the repositories it was granted; ${TOKEN_PASSES}`,
  ),
  token(
    'slack-token',
    'Slack token',
    'high',
    ['xox'],
    String.raw`\b(xox[baprs]-[0-9A-Za-z-]{10,250})`,
    3,
    `reads and posts in the owner’s Slack workspace; ${TOKEN_PASSES}`,
  ),
  token(
    'slack-webhook',
    'Slack incoming webhook URL',
    'high',
    ['hooks.slack.com'],
    String.raw`(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,120})`,
    3,
    'posts messages into a Slack channel as the owner’s integration',
  ),
  token(
    'npm-access-token',
    'npm access token',
    'high',
    ['npm_'],
    String.raw`\b(npm_(?i:[a-z0-9]{36}))(?![A-Za-z0-9])`,
    3,
    `publishes packages as the owner: a supply-chain foothold; ${TOKEN_PASSES}`,
  ),
  token(
    'pypi-upload-token',
    'PyPI upload token',
    'high',
    ['pypi-AgEIcHlwaS5vcmc'],
    String.raw`\b(pypi-AgEIcHlwaS5vcmc[\w-]{50,1000})`,
    3,
    `publishes packages as the owner: a supply-chain foothold; ${TOKEN_PASSES}`,
  ),
  token(
    'stripe-secret-key',
    'Stripe live secret key',
    'high',
    ['_live_'],
    String.raw`\b((?:sk|rk)_live_[A-Za-z0-9]{24,99})(?![A-Za-z0-9])`,
    3,
    `moves money on the owner’s Stripe account; ${TOKEN_PASSES}`,
  ),
  token(
    'url-credentials',
    'password inside a URL',
    'high',
    ['://'],
    String.raw`\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/:@'"\x60]{1,64}:([^\s/:@'"\x60]{3,128})@[A-Za-z0-9.-]+`,
    0,
    'a user name and password written into a URL log in as that user',
  ),
];

export const ASSIGNMENT_PATTERNS: readonly AssignmentPattern[] = [
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    family: 'token',
    severity: 'critical',
    reason: 'with its key id, acts as that AWS identity: data, compute and billing of the account',
    name: /aws.{0,20}secret|secret.?access.?key/i,
    value: /^[A-Za-z0-9/+]{40}$/,
    minEntropy: 4,
  },
  {
    id: 'generic-secret',
    description: 'secret-looking value assigned to a credential name',
    family: 'generic',
    severity: 'high',
    reason:
      'a random-looking value under a name such as api_key, token, secret or password is usually a live credential',
    name: /access|auth|api|credential|creds|key|passw(?:or)?d|secret|token/i,
    value: /^[\w.=+/~-]{12,200}$/,
    // 3.5 bits per character, as gitleaks' generic-api-key: random keys of 16+ characters score 3.8–5 (base64,
    // alphanumerics, even hex at 3.7+); English words and identifiers mostly stay below 3.4. Names that contain
    // a digit and a letter but are file names or dotted paths are excluded separately.
    minEntropy: 3.5,
  },
];

/** Names that contain a keyword but never hold a credential. */
export const NOT_SECRET_NAMES =
  /tokeni[sz]|token_?ids?\b|tokens\b|_tokens?_|num_|max_|min_|_size|_len|_dim|public|path|file|dir\b|_dir|_url|url_|keyword|monkey|donkey|turkey|hockey|jockey|whiskey|keyboard|author|_type\b|_name\b|(?:^|_)ids?$/i;

/** Values that are documentation, not credentials. */
export const PLACEHOLDER =
  /x{4,}|\*{3,}|\.{3,}|your|example|placeholder|change.?me|dummy|redacted|sample|fake|insert|replace|<|>|\$\{|\{\{|%\(|^(?:pass(?:word)?|secret|pwd|token)$/i;

/** Bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const ALL: readonly { id: string; description: string; family: SecretFamily; severity: Severity; reason: string }[] = [
  ...SECRET_PATTERNS,
  ...ASSIGNMENT_PATTERNS,
];

export function secretPatternById(id: string) {
  return ALL.find((entry) => entry.id === id);
}
