import { describe, expect, it } from 'vitest';
import { detectPersonalData, type PersonalDataMatch } from '../../src/pii/index.js';

const found = (text: string, options = {}) =>
  detectPersonalData(text, options).matches.map((match: PersonalDataMatch) => ({
    kind: match.kind,
    masked: match.masked,
    text: text.slice(match.offset, match.offset + match.length),
  }));
const kinds = (text: string) => detectPersonalData(text).matches.map((match) => match.kind);

describe('detectPersonalData', () => {
  it('finds each kind with its offset and a masked value that never contains the value', () => {
    const text =
      'Contact jane.roe@acme-corp.io, phone +44 20 7946 0958, card 4539 1488 0343 6467, ' +
      'IBAN DE89 3704 0044 0532 0130 00, SSN 536-22-1234, client ip 81.2.69.160';
    const matches = found(text);
    expect(matches).toEqual([
      { kind: 'email', masked: 'j***@a***.io', text: 'jane.roe@acme-corp.io' },
      { kind: 'phone', masked: '+** ** **** **58', text: '+44 20 7946 0958' },
      { kind: 'credit-card', masked: '**** **** **** 6467', text: '4539 1488 0343 6467' },
      { kind: 'iban', masked: 'DE** **** **** **** **30 00', text: 'DE89 3704 0044 0532 0130 00' },
      { kind: 'us-ssn', masked: '***-**-**34', text: '536-22-1234' },
      { kind: 'ip-address', masked: '81.*.*.*', text: '81.2.69.160' },
    ]);
  });

  it('finds national phone formats', () => {
    expect(kinds('call (415) 555-2671')).toEqual(['phone']);
    expect(kinds('tel 030 1234567')).toEqual(['phone']);
    expect(kinds('mobile 06 12 34 56 78')).toEqual(['phone']);
    expect(kinds('phone: 0044 20 7946 0958')).toEqual(['phone']);
  });

  it('does not take versions, dates, digests, UUIDs or times for phone numbers or IPs', () => {
    const text = [
      'torch==2.1.0.1 and numpy>=1.26.4.0',
      'version 1.2.3.4, released 2024-03-15 or 15.03.2024 at 12:30:45',
      'sha256 4a7d1ed414474e4033ac29ccb8653d9b4a7d1ed414474e4033ac29ccb8653d9b',
      'uuid 123e4567-e89b-12d3-a456-426614174000',
      'build 20240315.123456, step 1000000, loss 0.123456789',
    ].join('\n');
    expect(detectPersonalData(text).matches).toEqual([]);
  });

  it('ignores invalid card numbers, published test cards, invalid IBANs and SSNs outside issued ranges', () => {
    expect(kinds('card 4539 1488 0343 6468')).toEqual([]);
    expect(kinds('card 4111 1111 1111 1111, visa 4242424242424242')).toEqual([]);
    expect(kinds('iban DE89 3704 0044 0532 0130 01')).toEqual([]);
    expect(kinds('ssn 666-12-3456, 900-12-3456, 078-05-1120')).toEqual([]);
  });

  it('does not report private, loopback or documentation addresses, nor example-domain emails', () => {
    expect(kinds('host 192.168.1.10 and 10.0.0.1, 127.0.0.1, 203.0.113.7, ::1, fe80::1')).toEqual([]);
    expect(kinds('write to someone@example.com')).toEqual([]);
  });

  it('raises confidence with context words and lowers it with version context', () => {
    const bare = detectPersonalData('536221234', { minConfidence: 0 }).matches[0];
    const named = detectPersonalData('ssn: 536221234').matches[0];
    expect(bare?.confidence).toBeLessThan(0.4);
    expect(kinds('536221234')).toEqual([]);
    expect(named).toMatchObject({ kind: 'us-ssn', context: 'ssn' });
    expect(named?.confidence).toBeGreaterThanOrEqual(0.4);
    // The caller's context (a column name) counts too.
    expect(detectPersonalData('536221234', { context: 'customer_ssn' }).matches).toHaveLength(1);
    expect(detectPersonalData('8.8.8.8', { minConfidence: 0 }).matches[0]?.context).toBe('looks like a version number');
    expect(detectPersonalData('dns server ip 8.8.8.8').matches[0]).toMatchObject({ kind: 'ip-address', context: 'ip' });
  });

  it('caps the matches kept but keeps counting', () => {
    const text = Array.from({ length: 50 }, (_, i) => `user${i}@mail-host.org`).join(' ');
    const scan = detectPersonalData(text, { maxMatches: 10 });
    expect(scan.matches).toHaveLength(10);
    expect(scan.counts.email).toBe(50);
    expect(scan.truncated).toBe(true);
  });

  it('filters kinds', () => {
    expect(kinds('a.b@corp.io 81.2.69.160').sort()).toEqual(['email', 'ip-address']);
    expect(detectPersonalData('a.b@corp.io 81.2.69.160', { kinds: ['email'] }).matches).toHaveLength(1);
  });

  it('stays fast on hostile input (long runs that almost match)', () => {
    const hostile = [
      '1-'.repeat(200_000),
      'A'.repeat(200_000),
      `${'a'.repeat(100_000)}@${'b.'.repeat(100_000)}`,
      '1.'.repeat(200_000),
      ':a'.repeat(200_000),
      `DE89${' 1234'.repeat(100_000)}`,
    ].join('\n');
    const scan = detectPersonalData(hostile);
    expect(scan.truncated).toBe(false);
  });
});
