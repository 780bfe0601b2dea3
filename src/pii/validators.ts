/**
 * Checksums and range rules that separate real identifiers from look-alikes. Pure functions on strings; each says
 * why a value is rejected so tests (and curious users) can see the reason.
 */
import { isIP } from 'node:net';
import {
  CARD_ISSUERS,
  type CardIssuer,
  FAKE_SSNS,
  IBAN_LENGTHS,
  NON_PERSONAL_ADDRESS_RANGES,
} from '../knowledge/privacy-pii.js';

/** Luhn (ISO/IEC 7812-1): from the right, double every second digit, subtract 9 above 9; valid when the sum ≡ 0 mod 10. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The issuer whose prefix range and length fit a card number, if any. */
export function cardIssuer(digits: string): CardIssuer | undefined {
  return CARD_ISSUERS.find(
    (issuer) =>
      issuer.lengths.includes(digits.length) &&
      issuer.prefixes.some(([from, to]) => {
        const prefix = digits.slice(0, from.length);
        return prefix >= from && prefix <= to;
      }),
  );
}

export type Validation = { valid: true; detail?: string } | { valid: false; reason: string };

export function validateCard(digits: string): Validation {
  if (digits.length < 12 || digits.length > 19) return { valid: false, reason: 'not 12–19 digits' };
  if (/^(\d)\1+$/.test(digits)) return { valid: false, reason: 'all digits the same' };
  if (!luhnValid(digits)) return { valid: false, reason: 'fails the Luhn check' };
  const issuer = cardIssuer(digits);
  if (!issuer) return { valid: false, reason: 'no card scheme issues this prefix at this length' };
  return { valid: true, detail: issuer.brand };
}

/** ISO 13616 / ISO 7064 MOD 97-10: country length, then the rearranged number mod 97 must be 1 (computed in chunks). */
export function validateIban(raw: string): Validation {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/.test(iban)) return { valid: false, reason: 'not the IBAN shape' };
  const country = iban.slice(0, 2);
  const length = IBAN_LENGTHS.get(country);
  if (length === undefined) return { valid: false, reason: `${country} issues no IBANs` };
  if (iban.length !== length) return { valid: false, reason: `${country} IBANs have ${length} characters` };
  if (mod97(iban.slice(4) + iban.slice(0, 4)) !== 1) return { valid: false, reason: 'fails the mod-97 check' };
  return { valid: true, detail: country };
}

function mod97(alphanumeric: string): number {
  let remainder = 0;
  for (const char of alphanumeric) {
    const code = char.charCodeAt(0);
    // Letters count as two digits (A = 10 … Z = 35); one or two digits at a time keeps the remainder exact.
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder;
}

/**
 * US SSN rules (SSA; Presidio's us_ssn_recognizer): area 000, 666 and 900–999 are never issued, group 00 and serial
 * 0000 neither; a number of one repeated digit, a published fake or a mix of delimiters is not an SSN.
 */
export function validateSsn(raw: string): Validation {
  const delimiters = new Set(raw.replace(/\d/g, ''));
  if (delimiters.size > 1) return { valid: false, reason: 'mixes delimiters' };
  const digits = raw.replace(/\D/g, '');
  if (digits.length !== 9) return { valid: false, reason: 'not nine digits' };
  if (/^(\d)\1+$/.test(digits)) return { valid: false, reason: 'all digits the same' };
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area >= '900')
    return { valid: false, reason: `area ${area} is never issued` };
  if (digits.slice(3, 5) === '00') return { valid: false, reason: 'group 00 is never issued' };
  if (digits.slice(5) === '0000') return { valid: false, reason: 'serial 0000 is never issued' };
  const fake = FAKE_SSNS.get(digits);
  if (fake) return { valid: false, reason: `a published number: ${fake}` };
  return { valid: true };
}

/** A well-formed address; `public: false` with the reason when it sits in a range that identifies no one. */
export function classifyIp(address: string): { version: 4 | 6; public: boolean; reason?: string } | undefined {
  const version = isIP(address);
  if (version !== 4 && version !== 6) return undefined;
  const bits = addressBits(address, version);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged by the IPv4 address inside.
  const mapped = version === 6 && bits >> 32n === 0xffffn ? bits & 0xffffffffn : undefined;
  const [value, width] = mapped !== undefined ? [mapped, 4] : [bits, version];
  for (const range of PARSED_RANGES) {
    if (range.version !== width) continue;
    const shift = BigInt((width === 4 ? 32 : 128) - range.prefix);
    if (value >> shift === range.base >> shift) return { version, public: false, reason: range.reason };
  }
  return { version, public: true };
}

const PARSED_RANGES = NON_PERSONAL_ADDRESS_RANGES.map((range) => {
  const [address, prefix] = range.cidr.split('/') as [string, string];
  const version = isIP(address) as 4 | 6;
  return { version, base: addressBits(address, version), prefix: Number(prefix), reason: range.reason };
});

function addressBits(address: string, version: 4 | 6): bigint {
  if (version === 4) return address.split('.').reduce((total, octet) => (total << 8n) | BigInt(octet), 0n);
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = addressBits(dotted[1] as string, 4);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((total, group) => (total << 16n) | BigInt(`0x${group || '0'}`), 0n);
}
