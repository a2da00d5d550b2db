import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Clerk-style ids: a type prefix and 27 base62 characters (`user_2abc…`). */
export function clerkId(prefix: 'user' | 'sess' | 'client' | 'idn' | 'msg' | 'ins' | 'evt' | 'org' | 'orgmem' | 'role' | 'perm' | 'orginv' | 'ema' | 'cpayer' | 'csub' | 'csub_item' | 'stmt' | 'pa' | 'cpa'): string {
  const bytes = randomBytes(27);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${out}`;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
