/**
 * Knowledge behind the personal-data detectors (src/pii): issuer prefixes, IBAN lengths, published fake numbers,
 * address ranges that identify no one, and the words that make a match more or less likely to be personal data.
 * Each entry carries the reason it is here. Scoring follows Microsoft Presidio's recognizers (MIT): a base score per
 * pattern, a validator, and context words near the match.
 */

export interface CardIssuer {
  brand: string;
  /** Inclusive prefix ranges of equal width: `['51', '55']` covers 51–55. */
  prefixes: readonly (readonly [string, string])[];
  lengths: readonly number[];
  reason: string;
}

/** Ordered: the first issuer whose prefix and length fit names the card (narrow ranges before broad ones). */
export const CARD_ISSUERS: readonly CardIssuer[] = [
  {
    brand: 'American Express',
    prefixes: [
      ['34', '34'],
      ['37', '37'],
    ],
    lengths: [15],
    reason: 'IIN 34/37, 15 digits (ISO/IEC 7812 registrations)',
  },
  {
    brand: 'Visa',
    prefixes: [['4', '4']],
    lengths: [13, 16, 19],
    reason: 'IIN 4; 16 digits today, 13 on old cards, 19 on some debit cards',
  },
  {
    brand: 'Mastercard',
    prefixes: [
      ['51', '55'],
      ['2221', '2720'],
    ],
    lengths: [16],
    reason: 'IIN 51–55 and, since 2017, 2221–2720',
  },
  {
    brand: 'Mir',
    prefixes: [['2200', '2204']],
    lengths: [16, 17, 18, 19],
    reason: 'Russian national card scheme, IIN 2200–2204',
  },
  {
    brand: 'Discover',
    prefixes: [
      ['6011', '6011'],
      ['644', '649'],
      ['65', '65'],
      ['622126', '622925'],
    ],
    lengths: [16, 17, 18, 19],
    reason: 'IIN 6011, 644–649, 65 and the co-branded 622126–622925 range',
  },
  {
    brand: 'UnionPay',
    prefixes: [['62', '62']],
    lengths: [16, 17, 18, 19],
    reason: 'IIN 62 (outside the Discover co-branded range)',
  },
  {
    brand: 'JCB',
    prefixes: [['3528', '3589']],
    lengths: [16, 17, 18, 19],
    reason: 'IIN 3528–3589',
  },
  {
    brand: 'Diners Club',
    prefixes: [
      ['300', '305'],
      ['36', '36'],
      ['38', '39'],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
    reason: 'IIN 300–305, 36, 38–39',
  },
  {
    brand: 'Maestro',
    prefixes: [
      ['5018', '5018'],
      ['5020', '5020'],
      ['5038', '5038'],
      ['5893', '5893'],
      ['6304', '6304'],
      ['6759', '6759'],
      ['6761', '6763'],
    ],
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
    reason: 'Maestro debit IINs (12–19 digits)',
  },
];

/** Card numbers that payment providers publish for testing: valid Luhn, never a real person's card. */
export const TEST_CARD_NUMBERS: ReadonlyMap<string, string> = new Map([
  ['4111111111111111', 'Visa test number (PayPal, Braintree, many SDK docs)'],
  ['4242424242424242', 'Stripe test Visa'],
  ['4012888888881881', 'Visa test number (PayPal docs)'],
  ['4000056655665556', 'Stripe test Visa debit'],
  ['5555555555554444', 'Stripe test Mastercard'],
  ['5105105105105100', 'Mastercard test number (PayPal docs)'],
  ['2223003122003222', 'Stripe test Mastercard 2-series'],
  ['378282246310005', 'American Express test number (Stripe, PayPal docs)'],
  ['371449635398431', 'American Express test number (Stripe, PayPal docs)'],
  ['6011111111111117', 'Discover test number (Stripe docs)'],
  ['6011000990139424', 'Discover test number (Stripe docs)'],
  ['3530111333300000', 'JCB test number (PayPal docs)'],
  ['30569309025904', 'Diners Club test number (PayPal docs)'],
  ['6200000000000005', 'UnionPay test number (Stripe docs)'],
]);

/**
 * IBAN length per country (SWIFT IBAN Registry, ISO 13616). A country code not listed here is not accepted: the
 * mod-97 check alone passes 1 in 97 random strings.
 */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 ' +
    'FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 ' +
    'LU20 LV21 LY25 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SD18 ' +
    'SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))] as const),
);

/** US Social Security numbers that are published or reserved, so they identify nobody. */
export const FAKE_SSNS: ReadonlyMap<string, string> = new Map([
  ['078051120', 'printed on sample cards in Woolworth wallets (1938); used by thousands of people, voided by the SSA'],
  ['219099999', 'printed in a 1940 Social Security Administration pamphlet'],
  ['123456789', 'the placeholder everyone types'],
  ['457555462', 'published by LifeLock in its advertising'],
  ...Array.from({ length: 10 }, (_, i) => [`98765432${i}`, 'reserved by the SSA for use in advertisements'] as const),
]);

export interface AddressRange {
  /** CIDR block. */
  cidr: string;
  reason: string;
}

/**
 * Address blocks that do not point at a person: private networks, loopback, documentation examples, multicast.
 * IP addresses in them are not reported as personal data (a public address can identify a subscriber; these cannot).
 */
export const NON_PERSONAL_ADDRESS_RANGES: readonly AddressRange[] = [
  { cidr: '0.0.0.0/8', reason: '"this network" (RFC 791): never a host on the internet' },
  { cidr: '10.0.0.0/8', reason: 'private network (RFC 1918)' },
  { cidr: '100.64.0.0/10', reason: 'carrier-grade NAT shared space (RFC 6598)' },
  { cidr: '127.0.0.0/8', reason: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', reason: 'link-local (RFC 3927)' },
  { cidr: '172.16.0.0/12', reason: 'private network (RFC 1918)' },
  { cidr: '192.0.2.0/24', reason: 'TEST-NET-1, documentation only (RFC 5737)' },
  { cidr: '192.168.0.0/16', reason: 'private network (RFC 1918)' },
  { cidr: '198.18.0.0/15', reason: 'benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', reason: 'TEST-NET-2, documentation only (RFC 5737)' },
  { cidr: '203.0.113.0/24', reason: 'TEST-NET-3, documentation only (RFC 5737)' },
  { cidr: '224.0.0.0/3', reason: 'multicast and reserved (RFC 5771, RFC 1112)' },
  { cidr: '::/127', reason: 'unspecified and loopback (RFC 4291)' },
  { cidr: '2001:db8::/32', reason: 'documentation only (RFC 3849)' },
  { cidr: 'fc00::/7', reason: 'unique local, the IPv6 private range (RFC 4193)' },
  { cidr: 'fe80::/10', reason: 'link-local (RFC 4291)' },
  { cidr: 'ff00::/8', reason: 'multicast (RFC 4291)' },
];

/** Domains reserved for examples (RFC 2606, RFC 6761): addresses there reach nobody. */
export const EXAMPLE_EMAIL_DOMAINS = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/i;

/** The kinds of personal data the detectors know. */
export const PERSONAL_DATA_KINDS = ['email', 'phone', 'credit-card', 'iban', 'us-ssn', 'ip-address'] as const;
export type PersonalDataKind = (typeof PERSONAL_DATA_KINDS)[number];

export const KIND_LABELS: Readonly<Record<PersonalDataKind, { one: string; many: string }>> = {
  email: { one: 'e-mail address', many: 'e-mail addresses' },
  phone: { one: 'phone number', many: 'phone numbers' },
  'credit-card': { one: 'payment card number', many: 'payment card numbers' },
  iban: { one: 'IBAN (bank account)', many: 'IBANs (bank accounts)' },
  'us-ssn': { one: 'US Social Security number', many: 'US Social Security numbers' },
  'ip-address': { one: 'public IP address', many: 'public IP addresses' },
};

/**
 * Words that, within a few words before a match (or in its column name / JSON key), make it likelier to be what it
 * looks like. Presidio's context words, with +0.35 as in its context enhancer.
 */
export const CONTEXT_WORDS: Readonly<Record<PersonalDataKind, readonly string[]>> = {
  email: ['email', 'e-mail', 'mail', 'contact', 'address'],
  phone: ['phone', 'telephone', 'telefon', 'tel', 'mobile', 'mobil', 'cell', 'fax', 'call', 'contact', 'whatsapp'],
  'credit-card': ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'pan', 'payment', 'cvv', 'expiry'],
  iban: ['iban', 'bank', 'account', 'transfer', 'sepa', 'bic', 'swift'],
  'us-ssn': ['ssn', 'ssns', 'social', 'security', 'ssid', 'taxpayer'],
  'ip-address': ['ip', 'ipv4', 'ipv6', 'address', 'client', 'remote', 'host', 'addr', 'src', 'dst', 'visitor'],
};

/** How much a context word adds (Presidio's default context similarity factor). */
export const CONTEXT_BOOST = 0.35;

/**
 * Words that make a number-like match something else: software versions, digests and identifiers. A match preceded
 * by one of them loses this much confidence.
 */
export const NOT_PERSONAL_CONTEXT: readonly { word: RegExp; reason: string }[] = [
  { word: /^(?:v|ver|version|versions|release|rev|revision|build|tag)$/i, reason: 'a software version' },
  { word: /^(?:sha|sha1|sha256|sha512|md5|digest|hash|checksum|crc|etag)$/i, reason: 'a digest' },
  {
    word: /^(?:uuid|guid|id|oid|commit|isbn|issn|doi|arxiv|patent)$/i,
    reason: 'an identifier of a thing, not a person',
  },
  { word: /^(?:seed|epoch|step|steps|iteration|lr|loss|size|bytes|shape|dim|count)$/i, reason: 'a number in ML logs' },
];
export const NOT_PERSONAL_PENALTY = 0.5;

/** Base confidence per kind and pattern before context (a validator that fails drops the match altogether). */
export const BASE_CONFIDENCE = {
  email: 0.9,
  /** `+` and 8–15 digits: the E.164 shape. */
  phoneInternational: 0.6,
  /** National formats with separators ((555) 123-4567, 030 1234567, 06 12 34 56 78). */
  phoneNational: 0.4,
  creditCard: 0.8,
  iban: 0.95,
  /** 123-45-6789 with one delimiter kind. */
  ssnDelimited: 0.5,
  /** Nine bare digits: only reported with a context word (Presidio scores 0.05). */
  ssnBare: 0.05,
  ipAddress: 0.6,
  /** A published test number or fake value: identifies nobody, so it stays below the default threshold. */
  published: 0.1,
} as const;

/** Matches below this confidence are dropped unless the caller asks for them. */
export const DEFAULT_MIN_CONFIDENCE = 0.4;

/**
 * Which shipped files are data samples worth scanning for personal data, by name. Parquet files are found by their
 * bytes. Model configuration, tokenizer and licence files are text too, but hold no records about people.
 */
export const DATA_FILE_EXTENSIONS: Readonly<Record<string, 'csv' | 'tsv' | 'json' | 'jsonl' | 'text'>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.txt': 'text',
};

export const NOT_DATA_FILES: readonly { name: RegExp; reason: string }[] = [
  { name: /(?:^|[_-])config\.json$/i, reason: 'model, tokenizer or processor configuration' },
  {
    name: /^(?:tokenizer|vocab|merges|special_tokens_map|added_tokens|spiece|dict)\b/i,
    reason: 'tokenizer vocabulary',
  },
  { name: /\.index\.json$/i, reason: 'shard index of weight files' },
  {
    name: /^(?:model_index|modules|trainer_state|training_args|chat_template|quantize_config)\.json$/i,
    reason: 'pipeline and training metadata',
  },
  { name: /^(?:requirements|constraints)[\w.-]*\.txt$/i, reason: 'Python dependencies' },
  {
    name: /^(?:license|licence|notice|copying|use_policy|authors)\b/i,
    reason: 'legal notices (authors are named on purpose)',
  },
];
