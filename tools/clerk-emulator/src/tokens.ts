/**
 * Clerk-shaped RS256 JWTs: session tokens (version 2 claims, with the `o`
 * organization claim when the session has an active organization, and the
 * Billing claims `pla` and `fea`) and handshake payloads.
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
  /** The user's plan and the active organization's (Billing), for `pla` and the plan features in `fea`. */
  plans?: { user?: PlanClaimInput; organization?: PlanClaimInput };
}

export interface PlanClaimInput {
  slug: string;
  /** Feature slugs. */
  features: string[];
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
export function organizationClaims(organization: OrganizationClaimInput, planFeatures: string[] = []): OrganizationClaims {
  const granted = organization.permissions.filter((permission) => !isSystemPermission(permission)).map((permission) => permission.split(':'));
  // The plan's features join the permissions' ones: `fpm` has a mask for each `o:` feature of `fea`, 0 for one no permission names.
  const features = [...new Set([...granted.map(([, feature]) => feature!), ...planFeatures])].sort();
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

/**
 * Billing's claims, as `@clerk/shared`'s `has({ plan })` and `has({ feature })`
 * read them: `pla` the plans by scope (`u:free_user,o:pro`), `fea` the
 * organization's features (`o:…`, the permissions' ones included) then the user's (`u:…`).
 */
export function billingClaims(organization: OrganizationClaimInput | undefined, plans: SessionClaims['plans'] = {}): { pla?: string; fea?: string; o?: OrganizationClaims['o'] } {
  const org = organization ? organizationClaims(organization, plans.organization?.features ?? []) : undefined;
  const pla = [...(plans.user ? [`u:${plans.user.slug}`] : []), ...(organization && plans.organization ? [`o:${plans.organization.slug}`] : [])].join(',');
  const fea = [...(org?.fea ? [org.fea] : []), ...(plans.user?.features ?? []).map((feature) => `u:${feature}`)].join(',');
  return { ...(org ? { o: org.o } : {}), ...(pla ? { pla } : {}), ...(fea ? { fea } : {}) };
}

export async function signSessionToken(keys: EmulatorKeys, claims: SessionClaims): Promise<string> {
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    azp: claims.azp,
    sid: claims.sid,
    v: 2,
    sts: claims.status ?? 'active',
    ...billingClaims(claims.organization, claims.plans),
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
