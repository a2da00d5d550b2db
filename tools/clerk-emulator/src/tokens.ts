/**
 * Clerk-shaped RS256 JWTs: session tokens (version 2 claims, with the `o`
 * organization claim when the session has an active organization) and
 * handshake payloads.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { ISSUER, type EmulatorKeys, PUBLISHABLE_KEY } from './keys';
import { isSystemPermission } from './organizations';

export interface SessionClaims {
  sub: string;
  sid: string;
  azp: string;
  ttlSeconds: number;
  /** For tests: a token issued in the past (expired), or with other claims. */
  issuedAt?: number;
  issuer?: string;
  /** The session's active organization; none for the personal account. */
  organization?: OrganizationClaimInput;
  /** Clerk's `sts` claim: `pending` while the session has a task (default `active`). */
  status?: 'active' | 'pending';
}

export interface OrganizationClaimInput {
  id: string;
  slug: string;
  /** The role key, `org:admin`. */
  role: string;
  /** All the role's permissions; only custom ones reach the token. */
  permissions: string[];
}

/** Version 2's `o` and `fea` claims, as `@clerk/shared`'s jwtPayloadParser reads them. */
export interface OrganizationClaims {
  o: { id: string; slg: string; rol: string; per?: string; fpm?: string };
  fea?: string;
}

/**
 * Clerk's encoding (docs, "Session tokens", version 2): `rol` without the
 * `org:` prefix; custom permissions `org:<feature>:<action>` split into the
 * features (`fea`, as `o:<feature>`), the distinct actions (`o.per`), and
 * per feature a bitmask over the actions (`o.fpm`, least significant bit =
 * first action). System permissions (`org:sys_…`) are left out, as Clerk
 * leaves them out "to maintain reasonable JWT sizes".
 */
export function organizationClaims(organization: OrganizationClaimInput): OrganizationClaims {
  const granted = organization.permissions.filter((permission) => !isSystemPermission(permission)).map((permission) => permission.split(':'));
  const features = [...new Set(granted.map(([, feature]) => feature!))].sort();
  const actions = [...new Set(granted.map(([, , action]) => action!))].sort();
  const masks = features.map((feature) =>
    actions.reduce((mask, action, bit) => (granted.some(([, f, a]) => f === feature && a === action) ? mask | (1n << BigInt(bit)) : mask), 0n).toString(),
  );
  return {
    o: {
      id: organization.id,
      slg: organization.slug,
      rol: organization.role.replace(/^org:/, ''),
      ...(actions.length ? { per: actions.join(','), fpm: masks.join(',') } : {}),
    },
    ...(features.length ? { fea: features.map((feature) => `o:${feature}`).join(',') } : {}),
  };
}

export async function signSessionToken(keys: EmulatorKeys, claims: SessionClaims): Promise<string> {
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    azp: claims.azp,
    sid: claims.sid,
    v: 2,
    sts: claims.status ?? 'active',
    ...(claims.organization ? organizationClaims(claims.organization) : {}),
  })
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
