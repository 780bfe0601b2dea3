import { describe, expect, it } from 'vitest';
import { classifyIp, luhnValid, validateCard, validateIban, validateSsn } from '../../src/pii/index.js';

describe('Luhn and card issuers', () => {
  it('accepts valid Luhn numbers and names the scheme from the IIN', () => {
    expect(luhnValid('4539148803436467')).toBe(true);
    expect(validateCard('4539148803436467')).toEqual({ valid: true, detail: 'Visa' });
    expect(validateCard('377777777777770')).toEqual({ valid: true, detail: 'American Express' });
    expect(validateCard('2221777777777774')).toEqual({ valid: true, detail: 'Mastercard' });
    expect(validateCard('5177777777777771')).toEqual({ valid: true, detail: 'Mastercard' });
    expect(validateCard('6011777777777779')).toEqual({ valid: true, detail: 'Discover' });
    expect(validateCard('3530777777777778')).toEqual({ valid: true, detail: 'JCB' });
    expect(validateCard('36777777777773')).toEqual({ valid: true, detail: 'Diners Club' });
  });

  it('rejects a wrong check digit, an unknown prefix, a wrong length and repeated digits', () => {
    expect(luhnValid('4539148803436468')).toBe(false);
    expect(validateCard('4539148803436468')).toMatchObject({ valid: false, reason: 'fails the Luhn check' });
    // Luhn-valid, but no scheme issues 9-prefixed 16-digit cards, nor 15-digit Visa numbers.
    expect(validateCard('9777777777777777')).toMatchObject({ valid: false });
    expect(luhnValid('9777777777777777')).toBe(true);
    expect(validateCard('477777777777779')).toMatchObject({ valid: false });
    expect(validateCard('0000000000000000')).toMatchObject({ valid: false, reason: 'all digits the same' });
  });
});

describe('IBAN', () => {
  it('accepts valid IBANs of several countries, printed or compact', () => {
    expect(validateIban('DE89 3704 0044 0532 0130 00')).toEqual({ valid: true, detail: 'DE' });
    expect(validateIban('GB82WEST12345698765432')).toEqual({ valid: true, detail: 'GB' });
    expect(validateIban('FR1420041010050500013M02606')).toEqual({ valid: true, detail: 'FR' });
    expect(validateIban('NL91ABNA0417164300')).toEqual({ valid: true, detail: 'NL' });
    expect(validateIban('NO9386011117947')).toEqual({ valid: true, detail: 'NO' });
  });

  it('rejects a wrong check, a wrong length for the country and an unknown country', () => {
    expect(validateIban('DE89370400440532013001')).toMatchObject({ valid: false, reason: 'fails the mod-97 check' });
    expect(validateIban('DE8937040044053201300')).toMatchObject({
      valid: false,
      reason: 'DE IBANs have 22 characters',
    });
    expect(validateIban('US89370400440532013000')).toMatchObject({ valid: false, reason: 'US issues no IBANs' });
  });
});

describe('US SSN', () => {
  it('accepts numbers in issued ranges', () => {
    expect(validateSsn('536-22-1234').valid).toBe(true);
    expect(validateSsn('536221234').valid).toBe(true);
    expect(validateSsn('899 45 6789').valid).toBe(true);
  });

  it.each([
    ['000-12-3456', 'area 000 is never issued'],
    ['666-12-3456', 'area 666 is never issued'],
    ['900-12-3456', 'area 900 is never issued'],
    ['999-12-3456', 'area 999 is never issued'],
    ['536-00-1234', 'group 00 is never issued'],
    ['536-22-0000', 'serial 0000 is never issued'],
    ['111-11-1111', 'all digits the same'],
    ['536-22 1234', 'mixes delimiters'],
  ])('rejects %s (%s)', (value, reason) => {
    expect(validateSsn(value)).toEqual({ valid: false, reason });
  });

  it('rejects published fakes', () => {
    expect(validateSsn('078-05-1120')).toMatchObject({ valid: false });
    expect(validateSsn('219-09-9999')).toMatchObject({ valid: false });
    expect(validateSsn('123-45-6789')).toMatchObject({ valid: false });
    expect(validateSsn('987-65-4325')).toMatchObject({ valid: false });
  });
});

describe('IP addresses', () => {
  it('public addresses are personal-data candidates', () => {
    expect(classifyIp('8.8.8.8')).toEqual({ version: 4, public: true });
    expect(classifyIp('81.2.69.160')).toEqual({ version: 4, public: true });
    expect(classifyIp('2606:4700:4700::1111')).toEqual({ version: 6, public: true });
  });

  it('private, loopback, documentation and multicast ranges are not, and say why', () => {
    for (const address of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '203.0.113.9', '224.0.0.251']) {
      expect(classifyIp(address)?.public, address).toBe(false);
    }
    for (const address of ['::1', 'fe80::1', 'fd12:3456::1', '2001:db8::42', '::ffff:192.168.0.1']) {
      expect(classifyIp(address)?.public, address).toBe(false);
    }
    expect(classifyIp('198.51.100.7')?.reason).toContain('documentation');
    expect(classifyIp('::ffff:8.8.8.8')?.public).toBe(true);
  });

  it('is undefined for things that are not addresses', () => {
    expect(classifyIp('256.1.1.1')).toBeUndefined();
    expect(classifyIp('12:30:45')).toBeUndefined();
  });
});
