// The browser tests' authenticator computes RFC 6238 codes as the portal
// checks them: the RFC's own test vectors, and one code per step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator, base32Decode, stepOf, totpAt } from '../e2e/totp.ts';

// RFC 6238 appendix B, SHA-1: the ASCII secret "12345678901234567890".
const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('base32Decode reads the RFC secret', () => {
  assert.equal(base32Decode(secret).toString('ascii'), '12345678901234567890');
  assert.equal(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq==').toString('ascii'), '12345678901234567890');
  assert.throws(() => base32Decode('GEZ1'));
});

test('totpAt matches RFC 6238 appendix B (SHA-1, 8 digits)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
    [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
  ];
  for (const [t, want] of vectors) assert.equal(totpAt(secret, Math.floor(t / 30), 8), want, String(t));
  assert.equal(totpAt(secret, Math.floor(59 / 30)), '287082');
});

test('Authenticator never hands out a step twice, and at most the next one', () => {
  const now = 1_700_000_005_000;
  const a = new Authenticator(secret);
  assert.equal(a.code(now), totpAt(secret, stepOf(now)));
  assert.equal(a.code(now), totpAt(secret, stepOf(now) + 1));
  assert.throws(() => a.code(now));
  assert.equal(a.code(now + 60_000), totpAt(secret, stepOf(now) + 2));
});
