// RFC 6238 codes, as a staff member's authenticator app shows them: the
// browser tests sign staff in with the TOTP secret ops hand over.
import { createHmac } from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** base32Decode reads an RFC 4648 base32 secret (case, spaces and padding tolerated). */
export function base32Decode(secret: string): Buffer {
  const s = secret.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** totpAt is the code of step (unix seconds / 30) for secret, HMAC-SHA-1, digits long. */
export function totpAt(secret: string, step: number, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const sum = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = sum[sum.length - 1] & 0x0f;
  const bin = sum.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export const stepOf = (ms: number) => Math.floor(ms / 1000 / 30);

/**
 * Authenticator hands out codes for one secret the way a phone does, except
 * that each code is for a later step than the last: the portal takes a code
 * once, and accepts the next step's code (clock skew), so a second sign-in
 * within 30 s needs no wait.
 */
export class Authenticator {
  private last = -1;

  constructor(readonly secret: string) {}

  code(now = Date.now()): string {
    const step = Math.max(stepOf(now), this.last + 1);
    if (step > stepOf(now) + 1) throw new Error('more than two sign-ins within 30 s: wait for the next step');
    this.last = step;
    return totpAt(this.secret, step);
  }
}
