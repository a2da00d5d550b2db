/** Clerk-shaped RS256 JWTs: session tokens and handshake payloads. */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { ISSUER, type EmulatorKeys, PUBLISHABLE_KEY } from './keys';

export interface SessionClaims {
  sub: string;
  sid: string;
  azp: string;
  ttlSeconds: number;
  /** For tests: a token issued in the past (expired), or with other claims. */
  issuedAt?: number;
  issuer?: string;
}

export async function signSessionToken(keys: EmulatorKeys, claims: SessionClaims): Promise<string> {
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ azp: claims.azp, sid: claims.sid })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(claims.issuer ?? ISSUER)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + claims.ttlSeconds)
    .sign(keys.privateKey);
}

/** `{ handshake: [Set-Cookie strings] }`, which the SDK verifies with the same key and applies. */
export async function signHandshake(keys: EmulatorKeys, directives: string[]): Promise<string> {
  return new SignJWT({ handshake: directives })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuedAt()
    .sign(keys.privateKey);
}

/** The suffix Clerk appends to cookie names: 8 chars of base64url(sha1(publishable key)). */
export const COOKIE_SUFFIX = createHash('sha1').update(PUBLISHABLE_KEY).digest('base64url').slice(0, 8);

export const COOKIES = {
  session: '__session',
  clientUat: '__client_uat',
  refresh: `__refresh_${COOKIE_SUFFIX}`,
  handshake: '__clerk_handshake',
  /** The emulator's own client cookie (Clerk keeps its client on the frontend API domain). */
  client: '__clerk_emulator_client',
} as const;

const TEN_YEARS = 10 * 365 * 24 * 3600;

export function sessionCookies(token: string, clientUat: number, refreshToken: string): string[] {
  return [
    `${COOKIES.session}=${token}; Path=/; SameSite=Lax`,
    `${COOKIES.clientUat}=${clientUat}; Path=/; SameSite=Lax; Max-Age=${TEN_YEARS}`,
    `${COOKIES.refresh}=${refreshToken}; Path=/; HttpOnly; SameSite=Lax`,
  ];
}

export function signedOutCookies(): string[] {
  return [
    `${COOKIES.session}=; Path=/; SameSite=Lax; Max-Age=0`,
    `${COOKIES.clientUat}=0; Path=/; SameSite=Lax; Max-Age=${TEN_YEARS}`,
    `${COOKIES.refresh}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
  ];
}
