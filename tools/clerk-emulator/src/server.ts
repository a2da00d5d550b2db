/**
 * The local Clerk emulator: an HTTP server on loopback that stands in for
 * Clerk's hosted side so the real Clerk SDK can run offline.
 *
 *   Frontend API   /sign-in, /sign-up, /sign-out, /v1/client/handshake,
 *                  /v1/client/sessions/:id/touch (switching the active organization)
 *   Backend API    /v1/users…, /v1/organizations… (organization-api.ts), /v1/jwks,
 *                  /v1/sessions/:id/refresh (Bearer secret key)
 *   Admin page     /admin
 *   Control API    /_control/… (tests and tools: webhooks, 429s, bulk users and
 *                  organizations, sessions, what the Backend API was asked)
 *
 * Never imported by the app: it runs in its own process (tools/clerk-emulator/main.ts).
 *
 * It holds the secret keys of a Clerk instance, so it defends itself like a
 * local development server should: it answers only to its own host names (no
 * DNS rebinding), refuses state-changing requests from other origins (no
 * cross-site form posts; sign-out only on a POST; a cross-site handshake
 * does not switch the organization), and its control API needs a token made
 * anew on every run and handed only to the process that started it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { InstanceJSON, UserJSON } from '@clerk/backend';
import { jwtVerify } from 'jose';
import { ApiError, formError, notFound, rateLimited, unauthorized } from './errors';
import { parseCookies, readParams, redirect, sendHtml, sendJson, stringParam } from './http';
import { clerkId, randomToken } from './ids';
import { type EmulatorKeys, loadKeys, PUBLISHABLE_KEY } from './keys';
import { pageOf, sortBy } from './listing';
import { organizationApi } from './organization-api';
import { checkName, type CustomRolePermissions, MEMBER_ROLE, rolesOf } from './organizations';
import { adminPage, signInPage, signUpPage } from './pages';
import { type Session, Store } from './store';
import { COOKIES, sessionCookies, signedOutCookies, signHandshake, signSessionToken } from './tokens';
import { primaryEmail, type UserChanges, userMatches } from './users';
import { type DeliverySettings, WebhookDispatcher } from './webhooks';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keys and state live here; null keeps everything in memory. */
  dataDir: string | null;
  /** Origin of the app: the tokens' `azp`, and the only place sign-in may redirect to. */
  appUrl: string;
  /** Where webhooks go (the app's /api/webhooks/clerk), or null for none. */
  webhookUrl: string | null;
  /** Lifetime of session tokens. */
  tokenTtlSeconds: number;
  webhookRetryBaseMs?: number;
  /**
   * Added to every Backend API answer: Clerk's API is a network call away in
   * production (tens of milliseconds), the emulator is not. Benchmarks set it.
   */
  backendApiLatencyMs?: number;
}

export interface RunningEmulator {
  url: string;
  port: number;
  /** Required by the control API in the `x-emulator-control-token` header. */
  controlToken: string;
  /** The instance id Clerk would report (`GET /v1/instance`, webhooks' `instance_id`). */
  instanceId: string;
  keys: EmulatorKeys;
  publishableKey: string;
  store: Store;
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

const CLIENT_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600;

export const CONTROL_TOKEN_HEADER = 'x-emulator-control-token';

/** Clerk's limit on name parts (its `form_param_max_length_exceeded`). */
const NAME_MAX = 256;

/** Instance settings that change what the Backend API accepts, as the Clerk dashboard's would. */
interface InstanceSettings {
  /** "Name" turned off in the dashboard: Clerk refuses first_name and last_name. */
  names: boolean;
  /** Custom roles and permissions (`{ 'org:admin': ['org:posts:delete'] }`), as on the dashboard's "Roles & Permissions". */
  customRolePermissions?: CustomRolePermissions;
  /**
   * Send `organizationMembership.deleted` for the memberships that go with a
   * deleted organization or user (default). Turned off, only
   * `organization.deleted` / `user.deleted` arrive: an app must cope with both.
   */
  cascadeMembershipEvents?: boolean;
}

/**
 * Backend API routes by name for the call counts and fault injection: the id
 * (or slug) after a collection becomes `:id` (`GET /v1/organizations/:id/memberships/:id`).
 */
const COLLECTIONS = new Set(['users', 'organizations', 'memberships', 'sessions', 'email_addresses']);
const LITERALS = new Set(['count']);

export function routeKey(method: string, pathname: string): string {
  const segments = pathname.split('/');
  const named = segments.map((segment, i) => (i > 0 && COLLECTIONS.has(segments[i - 1]!) && !LITERALS.has(segment) ? ':id' : segment));
  return `${method} ${named.join('/')}`;
}

/**
 * A Backend API request as the emulator saw it: what was asked, when it
 * arrived and was answered, and how many were in flight, so that tests see
 * what a client asks and in what order (a page fetched ahead, calls made a
 * few at a time), not only how many.
 */
export interface BackendApiRequest {
  /** Increases by one per request, for `?since=`; never reset. */
  seq: number;
  /** As in the call counts: ids replaced by `:id` (`GET /v1/users/:id`). */
  route: string;
  /** The query string, `?` included; empty when there is none. */
  query: string;
  /** Milliseconds since the epoch, fractional. */
  arrivedAt: number;
  /** Null while it is being answered. */
  answeredAt: number | null;
  status: number | null;
  /** Backend API requests being answered when this one arrived, itself included. */
  inFlight: number;
}

/** The request log keeps the latest requests only: a bench pages through a million users. */
const REQUEST_LOG_SIZE = 10_000;

const preciseNow = () => performance.timeOrigin + performance.now();

/** The user list's `order_by` fields. */
const USER_ORDERS: Record<string, (user: UserJSON) => string | number> = {
  created_at: (user) => user.created_at,
  updated_at: (user) => user.updated_at,
  email_address: (user) => primaryEmail(user) ?? '',
  first_name: (user) => user.first_name ?? '',
  last_name: (user) => user.last_name ?? '',
  last_sign_in_at: (user) => user.last_sign_in_at ?? 0,
  last_active_at: (user) => user.last_active_at ?? 0,
};

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const keys = await loadKeys(options.dataDir);
  const instanceId = `ins_${keys.kid.slice(-12)}`;
  const webhooks = new WebhookDispatcher(options.webhookUrl, keys.webhookSecret, instanceId);
  if (options.webhookRetryBaseMs !== undefined) webhooks.configure({ retryBaseMs: options.webhookRetryBaseMs });
  const store = new Store(options.dataDir ? path.join(options.dataDir, 'state.json') : null, (event) => webhooks.enqueue(event));
  let appUrl = new URL(options.appUrl).origin;
  let tokenTtlSeconds = options.tokenTtlSeconds;
  let rateLimit = { remaining: 0, retryAfter: 1 };
  /** Backend API answers to fail with a server error (tests of retries), as Clerk does on a bad day. */
  let serverErrors: { remaining: number; status: number; route: string | null } = { remaining: 0, status: 503, route: null };
  /** Users the list endpoint leaves out, as offset paging does when others are deleted meanwhile. */
  let hiddenFromList = new Set<string>();
  let settings: InstanceSettings = { names: true };
  let backendApiLatencyMs = options.backendApiLatencyMs ?? 0;
  /** Backend API calls by route (ids replaced by :id), for tests that count them. */
  const backendApiCalls = new Map<string, number>();
  /** The latest Backend API requests, oldest first (`GET /_control/stats/backend-api/requests`). */
  let requestLog: BackendApiRequest[] = [];
  let requestSeq = 0;
  let requestsInFlight = 0;
  const controlToken = randomToken(24);

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof ApiError) return sendJson(response, error.status, error.body(), error.headers);
      console.error('clerk-emulator:', error);
      if (!response.headersSent) sendJson(response, 500, { errors: [{ code: 'internal_clerk_error', message: 'Oops, an unexpected error occurred', long_message: String(error) }] });
      else response.end();
    });
  });

  const selfUrl = () => `http://localhost:${(server.address() as AddressInfo).port}`;
  const ownPort = () => (server.address() as AddressInfo).port;

  /** Only our own names: a page on another host that resolves to us (DNS rebinding) gets nothing. */
  function checkHost(request: IncomingMessage): void {
    const host = (request.headers.host ?? '').toLowerCase();
    if (![`localhost:${ownPort()}`, `127.0.0.1:${ownPort()}`, `[::1]:${ownPort()}`].includes(host)) {
      throw new ApiError(403, [{ code: 'host_invalid', message: 'unknown host', long_message: `The emulator answers only to localhost:${ownPort()}.` }]);
    }
  }

  /**
   * Requests that change something come from our own pages (or, for
   * sign-out, the app's): a form on any other site is refused. `required`
   * for the browser forms; elsewhere only a present Origin is checked (the
   * control and Backend APIs need a secret no page has).
   */
  function checkOrigin(request: IncomingMessage, options: { required: boolean; allowApp?: boolean }): void {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const origin = request.headers.origin;
    if (!origin) {
      if (options.required) throw new ApiError(403, [{ code: 'origin_invalid', message: 'missing Origin', long_message: 'Forms are accepted only from this emulator.' }]);
      return;
    }
    const allowed = [`http://localhost:${ownPort()}`, `http://127.0.0.1:${ownPort()}`, `http://[::1]:${ownPort()}`, ...(options.allowApp ? [appUrl] : [])];
    if (!allowed.includes(origin)) {
      throw new ApiError(403, [{ code: 'origin_invalid', message: 'cross-origin request', long_message: `Requests from ${origin} are not accepted.` }]);
    }
  }

  /** Clerk's checks on name parts: its length limit, and names turned off for the instance. */
  function checkNames(params: Record<string, unknown>): void {
    for (const param of ['first_name', 'last_name']) {
      if (!(param in params) || params[param] === null || params[param] === undefined) continue;
      if (!settings.names) throw formError(param, 'form_param_unknown', 'is unknown', `${param} is not a valid parameter for this request.`);
      if (String(params[param]).length > NAME_MAX) {
        throw formError(param, 'form_param_max_length_exceeded', 'exceeds maximum length', `${param} should not exceed ${NAME_MAX} characters.`);
      }
    }
  }

  /** Only the app's origin: anything else would make sign-in an open redirect. */
  function safeRedirect(candidate: string | undefined): string {
    if (candidate) {
      try {
        const url = new URL(candidate, appUrl);
        if (url.origin === appUrl) return url.toString();
      } catch {
        // fall through
      }
    }
    return `${appUrl}/`;
  }

  /** The session's token as of now, with its active organization while the user is a member of it. */
  function tokenFor(session: Session, issuedAt: number): Promise<string> {
    const active = store.activeOrganizationOf(session);
    return signSessionToken(keys, {
      sub: session.userId,
      sid: session.id,
      azp: appUrl,
      ttlSeconds: tokenTtlSeconds,
      issuedAt,
      organization: active && { id: active.organization.id, slug: active.organization.slug, role: active.membership.role, permissions: active.permissions },
    });
  }

  /** Sign in: a new session (in an organization when asked, else where Clerk would start it) and its cookies. */
  async function mintSession(user: UserJSON, clientId?: string, activeOrganization?: string | null) {
    const session = store.createSession(user.id, clientId);
    if (activeOrganization !== undefined) {
      try {
        store.setActiveOrganization(session.id, activeOrganization);
      } catch (error) {
        store.endSession(session.id);
        throw error;
      }
    }
    store.touchSignIn(user);
    const now = Math.floor(Date.now() / 1000);
    const token = await tokenFor(session, now);
    const cookies = [
      ...sessionCookies(token, now, session.refreshToken),
      `${COOKIES.client}=${session.clientId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${CLIENT_COOKIE_MAX_AGE}`,
    ];
    return { session, token, cookies };
  }

  /**
   * The handshake's `organization_id`: an id or a slug (the SDK sends
   * whichever its pattern names), empty for the personal account. A member's
   * becomes active; anything else leaves the session as it was, as Clerk does.
   */
  function activateOrganization(session: Session, idOrSlug: string): void {
    try {
      store.setActiveOrganization(session.id, idOrSlug || null);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }

  function requireSecretKey(request: IncomingMessage, route: string): void {
    if (request.headers.authorization !== `Bearer ${keys.secretKey}`) throw unauthorized();
    if (serverErrors.remaining > 0 && (serverErrors.route === null || serverErrors.route === route)) {
      serverErrors.remaining--;
      throw new ApiError(serverErrors.status, [{ code: 'internal_clerk_error', message: 'Oops, an unexpected error occurred', long_message: 'There was an internal error on our servers.' }]);
    }
    if (rateLimit.remaining > 0) {
      rateLimit.remaining--;
      throw rateLimited(rateLimit.retryAfter);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    const userPath = url.pathname.match(/^\/v1\/users\/([^/]+)$/);
    const refreshPath = url.pathname.match(/^\/v1\/sessions\/([^/]+)\/refresh$/);
    const adminUserPath = url.pathname.match(/^\/admin\/users\/([^/]+)(\/delete)?$/);
    const touchPath = url.pathname.match(/^\/v1\/client\/sessions\/([^/]+)\/touch$/);
    checkHost(request);
    const browserForm = ['/sign-in', '/sign-up', '/sign-out'].includes(url.pathname) || url.pathname.startsWith('/admin');
    // The app's pages may sign out, and (clerk-js's setActive) switch the organization.
    checkOrigin(request, { required: browserForm, allowApp: url.pathname === '/sign-out' || touchPath !== null });

    // Frontend API: the pages a browser sees ---------------------------------
    if (route === 'GET /' ) return redirect(response, '/admin', [], 302);
    // Browsers ask for one on every page; there is none, and that is no error.
    if (route === 'GET /favicon.ico') {
      response.writeHead(204, { 'Cache-Control': 'max-age=86400' }).end();
      return;
    }
    if (route === 'GET /sign-in') {
      const redirectUrl = safeRedirect(url.searchParams.get('redirect_url') ?? undefined);
      return sendHtml(response, 200, signInPage({ redirectUrl, signUpHref: `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}` }), appUrl);
    }
    if (route === 'POST /sign-in') {
      const params = await readParams(request);
      const redirectUrl = safeRedirect(stringParam(params, 'redirect_url'));
      const email = (stringParam(params, 'email') ?? '').trim();
      const user = email ? store.findUserByEmail(email) : undefined;
      if (!user) {
        const error = email ? `No account uses ${email}. Check the address, or sign up.` : 'Enter your email address.';
        return sendHtml(response, 422, signInPage({ redirectUrl, email, error, signUpHref: `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}` }), appUrl);
      }
      const { cookies } = await mintSession(user, parseCookies(request)[COOKIES.client]);
      return redirect(response, redirectUrl, cookies);
    }
    if (route === 'GET /sign-up') {
      const redirectUrl = safeRedirect(url.searchParams.get('redirect_url') ?? undefined);
      return sendHtml(response, 200, signUpPage({ redirectUrl, signInHref: `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}` }), appUrl);
    }
    if (route === 'POST /sign-up') {
      const params = await readParams(request);
      const redirectUrl = safeRedirect(stringParam(params, 'redirect_url'));
      const values = {
        email: (stringParam(params, 'email') ?? '').trim(),
        firstName: (stringParam(params, 'first_name') ?? '').trim(),
        lastName: (stringParam(params, 'last_name') ?? '').trim(),
      };
      let user: UserJSON;
      try {
        user = store.createUser({ emailAddresses: [values.email], firstName: values.firstName || null, lastName: values.lastName || null });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const message = error.errors[0]?.code === 'form_identifier_exists' ? `${values.email} already has an account. Sign in instead.` : 'Enter a valid email address.';
        return sendHtml(response, 422, signUpPage({ redirectUrl, values, error: message, signInHref: `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}` }), appUrl);
      }
      const { cookies } = await mintSession(user, parseCookies(request)[COOKIES.client]);
      return redirect(response, redirectUrl, cookies);
    }
    // A GET would let any page sign its visitors out (a link, an image); the app's sign-out is a form that posts.
    if (route === 'GET /sign-out') throw new ApiError(405, [{ code: 'method_not_allowed', message: 'method not allowed', long_message: 'Sign out with a POST.' }], { Allow: 'POST' });
    if (route === 'POST /sign-out') {
      const params = await readParams(request);
      const clientId = parseCookies(request)[COOKIES.client];
      if (clientId) store.endSessionsOfClient(clientId);
      return redirect(response, safeRedirect(stringParam(params, 'redirect_url')), signedOutCookies());
    }
    if (route === 'GET /v1/client/handshake') {
      // The SDK sends browsers here when their session token is missing or expired, and (with
      // `organizationSyncOptions`) when the URL names another organization than the token's.
      const clientId = parseCookies(request)[COOKIES.client];
      const session = clientId ? store.activeSessionOfClient(clientId) : undefined;
      let directives: string[];
      if (session) {
        const organization = url.searchParams.get('organization_id');
        // Switching is the one change a GET makes here, so another site must not make it (a link or a
        // script sending the browser to ?organization_id=…). Such a handshake still refreshes the session,
        // without switching, rather than a 403: a link from elsewhere to /orgs/<slug> reaches us
        // cross-site too (every hop of a navigation begun on another site is), and must still open the
        // page. The SDK, resolving this handshake, serves the page with the session's organization as it
        // was; it asks again at the next navigation to such a page, begun on the app's own page (so
        // same-site: it switches then), and were that refused too, its `__clerk_redirect_count` cookie
        // stops it after three tries (@clerk/backend's handshakeRedirectLoopCounter): no loop. The app
        // decides access by its Membership rows, not by this claim (docs/decisions/013). `same-site` is
        // the app (localhost on another port), `none` an address typed in, no header a non-browser.
        if (organization !== null && request.headers['sec-fetch-site'] !== 'cross-site') activateOrganization(session, organization);
        const now = Math.floor(Date.now() / 1000);
        const token = await tokenFor(session, now);
        const clientUat = Number(parseCookies(request)[COOKIES.clientUat]) || now;
        directives = sessionCookies(token, Math.min(clientUat, now), session.refreshToken);
      } else {
        directives = signedOutCookies();
      }
      directives.push(`${COOKIES.handshake}=; Path=/; Max-Age=0`);
      const handshake = await signHandshake(keys, directives);
      // The cookie variant: the SDK reads it, applies the directives (which clear it), and the address bar stays clean.
      return redirect(response, safeRedirect(url.searchParams.get('redirect_url') ?? undefined), [`${COOKIES.handshake}=${handshake}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60`], 307);
    }
    if (method === 'POST' && touchPath) {
      // clerk-js's setActive({ organization }): the Frontend API's session touch, for the browser's own client only.
      const session = store.getSession(decodeURIComponent(touchPath[1]!));
      if (!session || session.status !== 'active' || session.clientId !== parseCookies(request)[COOKIES.client]) throw notFound();
      const params = await readParams(request);
      if ('active_organization_id' in params) {
        const organization = params.active_organization_id;
        store.setActiveOrganization(session.id, typeof organization === 'string' && organization ? organization : null);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await tokenFor(session, now);
      const body = {
        response: {
          object: 'session',
          id: session.id,
          status: session.status,
          user_id: session.userId,
          last_active_organization_id: store.activeOrganizationOf(session)?.organization.id ?? null,
          last_active_token: { object: 'token', jwt: token },
        },
        client: null,
      };
      return sendJson(response, 200, body, { 'Set-Cookie': sessionCookies(token, now, session.refreshToken) });
    }

    // Admin page ----------------------------------------------------------------
    if (route === 'GET /admin') {
      const users = [...store.listUsers()].sort((a, b) => b.created_at - a.created_at);
      return sendHtml(
        response,
        200,
        adminPage({
          users: users.slice(0, 200),
          total: users.length,
          ...adminOrganizations(),
          deliveries: webhooks.deliveries.slice(-50).reverse(),
          appUrl,
          message: url.searchParams.get('message') ?? undefined,
        }),
        appUrl,
      );
    }
    if (method === 'POST' && adminUserPath) {
      const id = decodeURIComponent(adminUserPath[1]!);
      return adminAction(response, async () => {
        if (adminUserPath[2]) {
          store.deleteUser(id);
        } else {
          const params = await readParams(request);
          const changes: UserChanges = {
            firstName: (stringParam(params, 'first_name') ?? '').trim() || null,
            lastName: (stringParam(params, 'last_name') ?? '').trim() || null,
          };
          const email = (stringParam(params, 'email') ?? '').trim();
          if (email) changes.primaryEmail = email;
          store.updateUser(id, changes);
        }
      });
    }
    const adminOrganizationPath = url.pathname.match(/^\/admin\/organizations(?:\/([^/]+)(?:\/(delete|memberships)(?:\/([^/]+)(\/delete)?)?)?)?$/);
    if (method === 'POST' && adminOrganizationPath) {
      const [, organizationId, action, userId, remove] = adminOrganizationPath.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
      return adminAction(response, async () => {
        if (!organizationId) return adminCreateOrganization(await readParams(request));
        if (action === 'delete') return void store.deleteOrganization(organizationId);
        if (action !== 'memberships') return void store.updateOrganization(organizationId, { name: checkName((await readParams(request)).name) });
        if (!userId) return adminAddMember(organizationId, await readParams(request));
        if (remove) return void store.deleteMembership(organizationId, userId);
        return void store.updateMembership(organizationId, userId, { role: (await readParams(request)).role });
      });
    }

    // Backend API ------------------------------------------------------------
    if (url.pathname.startsWith('/v1/')) {
      const key = routeKey(method, url.pathname);
      backendApiCalls.set(key, (backendApiCalls.get(key) ?? 0) + 1);
      logBackendApiRequest(key, url.search, response);
      if (backendApiLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, backendApiLatencyMs));
      requireSecretKey(request, key);
      if (route === 'GET /v1/jwks') return sendJson(response, 200, { keys: [keys.jwk] });
      if (route === 'GET /v1/instance') {
        const instance: InstanceJSON = { object: 'instance', id: instanceId, environment_type: 'development', allowed_origins: [appUrl] };
        return sendJson(response, 200, instance);
      }
      const organizationAnswer = await organizationApi(store, request, url);
      if (organizationAnswer !== undefined) return sendJson(response, 200, organizationAnswer);
      if (route === 'GET /v1/users') return sendJson(response, 200, listUsers(url.searchParams));
      if (route === 'GET /v1/users/count') {
        const filtered = url.searchParams.has('email_address') || url.searchParams.has('user_id') || url.searchParams.get('query');
        return sendJson(response, 200, { object: 'total_count', total_count: filtered ? filterUsers(url.searchParams).length : store.countUsers() });
      }
      if (route === 'POST /v1/users') {
        const params = await readParams(request);
        checkNames(params);
        const emails = params.email_address;
        const phones = params.phone_number;
        const user = store.createUser({
          emailAddresses: Array.isArray(emails) ? emails.map(String) : typeof emails === 'string' ? [emails] : [],
          phoneNumbers: Array.isArray(phones) ? phones.map(String) : typeof phones === 'string' ? [phones] : [],
          firstName: stringParam(params, 'first_name') ?? null,
          lastName: stringParam(params, 'last_name') ?? null,
          externalId: stringParam(params, 'external_id') ?? null,
        });
        return sendJson(response, 200, user);
      }
      if (userPath && method === 'GET') return sendJson(response, 200, store.getUser(decodeURIComponent(userPath[1]!)));
      if (userPath && method === 'PATCH') {
        const id = decodeURIComponent(userPath[1]!);
        const params = await readParams(request);
        const user = store.getUser(id);
        checkNames(params);
        const changes: UserChanges = {};
        if ('first_name' in params) changes.firstName = (params.first_name as string | null) ?? null;
        if ('last_name' in params) changes.lastName = (params.last_name as string | null) ?? null;
        if ('external_id' in params) changes.externalId = (params.external_id as string | null) ?? null;
        const primaryId = stringParam(params, 'primary_email_address_id');
        if (primaryId) {
          const address = user.email_addresses.find((email) => email.id === primaryId);
          if (!address) throw notFound();
          changes.primaryEmail = address.email_address;
        }
        return sendJson(response, 200, store.updateUser(id, changes));
      }
      if (route === 'POST /v1/email_addresses') {
        const params = await readParams(request);
        const added = store.addEmailAddress(String(params.user_id ?? ''), String(params.email_address ?? ''), {
          verified: params.verified === true,
          primary: params.primary === true,
        });
        return sendJson(response, 200, added);
      }
      const emailAddressPath = url.pathname.match(/^\/v1\/email_addresses\/([^/]+)$/);
      if (emailAddressPath && method === 'DELETE') {
        const { address } = store.deleteEmailAddress(decodeURIComponent(emailAddressPath[1]!));
        return sendJson(response, 200, { object: 'email_address', id: address.id, deleted: true });
      }
      if (userPath && method === 'DELETE') {
        const user = store.deleteUser(decodeURIComponent(userPath[1]!));
        return sendJson(response, 200, { object: 'user', id: user.id, deleted: true });
      }
      if (refreshPath && method === 'POST') {
        // The SDK's server-side refresh of an expired token (the `__refresh_…` cookie).
        const params = await readParams(request);
        const session = store.getSession(decodeURIComponent(refreshPath[1]!));
        const refreshToken = stringParam(params, 'refresh_token');
        if (!session || session.status !== 'active' || !refreshToken || refreshToken !== session.refreshToken) {
          throw new ApiError(401, [{ code: 'authentication_invalid', message: 'Session not found or ended', long_message: 'The session cannot be refreshed.' }]);
        }
        const expired = stringParam(params, 'expired_token') ?? '';
        const { payload } = await jwtVerify(expired, keys.publicKey, { clockTolerance: Number.MAX_SAFE_INTEGER }).catch(() => {
          throw new ApiError(400, [{ code: 'token_invalid', message: 'Invalid token', long_message: 'The expired token is not one of ours.' }]);
        });
        if (payload.sid !== session.id) throw new ApiError(400, [{ code: 'token_invalid', message: 'Invalid token', long_message: 'The token belongs to another session.' }]);
        const token = await tokenFor(session, Math.floor(Date.now() / 1000));
        return sendJson(response, 200, { object: 'cookies', cookies: [`${COOKIES.session}=${token}; Path=/; SameSite=Lax`] });
      }
      throw notFound();
    }

    // Control API (loopback only, for tests and tools) ------------------------
    if (url.pathname.startsWith('/_control/')) return control(route, request, response);
    throw notFound();
  }

  /** Run an admin form's change through the store (so its webhooks go out) and show the page again, with Clerk's error if any. */
  async function adminAction(response: ServerResponse, change: () => Promise<void> | void): Promise<void> {
    let message = '';
    try {
      await change();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      message = error.errors[0]?.long_message ?? 'Could not save.';
    }
    return redirect(response, message ? `/admin?message=${encodeURIComponent(message)}` : '/admin');
  }

  function userByEmail(email: string): UserJSON {
    const user = store.findUserByEmail(email);
    if (!user) throw formError('email', 'form_identifier_not_found', 'not found', `No user has the email address ${email}.`);
    return user;
  }

  function adminCreateOrganization(params: Record<string, unknown>): void {
    const slug = (stringParam(params, 'slug') ?? '').trim();
    const email = (stringParam(params, 'email') ?? '').trim();
    store.createOrganization({ name: checkName(params.name), slug: slug || undefined, createdBy: email ? userByEmail(email).id : undefined });
  }

  function adminAddMember(organizationId: string, params: Record<string, unknown>): void {
    store.createMembership(organizationId, { userId: userByEmail((stringParam(params, 'email') ?? '').trim()).id, role: params.role });
  }

  /** The newest organizations with their members, for the admin page. */
  function adminOrganizations() {
    const organizations = store.listOrganizations().sort((a, b) => b.created_at - a.created_at);
    return {
      organizations: organizations.slice(0, 100).map((organization) => ({
        id: organization.id,
        name: organization.name,
        slug: organization.slug,
        membersCount: store.membersCount(organization.id),
        members: store.listMemberships(organization.id).map((membership) => ({
          userId: membership.userId,
          email: primaryEmail(store.getUser(membership.userId)) ?? membership.userId,
          role: membership.role,
        })),
      })),
      totalOrganizations: organizations.length,
      roles: rolesOf(store.organizationSettings.customRolePermissions),
    };
  }

  /** Log a Backend API request at its arrival; its answer completes the entry. */
  function logBackendApiRequest(route: string, query: string, response: ServerResponse): void {
    requestsInFlight++;
    const entry: BackendApiRequest = { seq: ++requestSeq, route, query, arrivedAt: preciseNow(), answeredAt: null, status: null, inFlight: requestsInFlight };
    requestLog.push(entry);
    if (requestLog.length > REQUEST_LOG_SIZE * 2) requestLog = requestLog.slice(-REQUEST_LOG_SIZE);
    // 'close' comes once, answered or not (a client that gave up).
    response.once('close', () => {
      requestsInFlight--;
      entry.answeredAt = preciseNow();
      entry.status = response.statusCode;
    });
  }

  function countBy(values: string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  }

  function filterUsers(params: URLSearchParams): UserJSON[] {
    let users = store.listUsers();
    const emails = params.getAll('email_address').map((email) => email.toLowerCase());
    if (emails.length) users = users.filter((user) => user.email_addresses.some((e) => emails.includes(e.email_address.toLowerCase())));
    const ids = params.getAll('user_id');
    if (ids.length) users = users.filter((user) => ids.includes(user.id));
    const query = params.get('query');
    if (query) users = users.filter((user) => userMatches(user, query));
    return users;
  }

  /** The last unfiltered listing in order, kept while no user changes: paging through a million users sorts once. */
  let sortedCache: { key: string; users: UserJSON[] } | null = null;

  function listUsers(params: URLSearchParams): UserJSON[] {
    const orderBy = params.get('order_by') ?? '-created_at';
    const { limit, offset } = pageOf(params);
    const unfiltered = !params.has('email_address') && !params.has('user_id') && !params.get('query') && hiddenFromList.size === 0;
    const key = `${orderBy}@${store.revision}`;
    if (unfiltered && sortedCache?.key === key) return sortedCache.users.slice(offset, offset + limit);
    const users = sortBy(filterUsers(params).filter((user) => !hiddenFromList.has(user.id)), orderBy, USER_ORDERS, 'created_at');
    if (unfiltered) sortedCache = { key, users };
    return users.slice(offset, offset + limit);
  }

  async function control(route: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers[CONTROL_TOKEN_HEADER] !== controlToken) {
      throw new ApiError(401, [{ code: 'control_token_invalid', message: 'control token required', long_message: `The control API needs the ${CONTROL_TOKEN_HEADER} header the emulator printed at start.` }]);
    }
    const params = request.method === 'GET' ? {} : await readParams(request);
    switch (route) {
      case 'GET /_control/health':
        return sendJson(response, 200, { status: 'ok' });
      case 'GET /_control/config':
        return sendJson(response, 200, {
          url: selfUrl(),
          publishableKey: PUBLISHABLE_KEY,
          secretKey: keys.secretKey,
          jwtKey: keys.publicKeyPem,
          webhookSecret: keys.webhookSecret,
          appUrl,
          tokenTtlSeconds,
          backendApiLatencyMs,
          webhooks: webhooks.getSettings(),
        });
      case 'PUT /_control/config': {
        if (typeof params.appUrl === 'string') appUrl = new URL(params.appUrl).origin;
        if (typeof params.tokenTtlSeconds === 'number') tokenTtlSeconds = params.tokenTtlSeconds;
        if (params.settings && typeof params.settings === 'object') {
          settings = { ...settings, ...(params.settings as Partial<InstanceSettings>) };
          store.configureOrganizations({ customRolePermissions: settings.customRolePermissions, cascadeMembershipEvents: settings.cascadeMembershipEvents });
        }
        if (typeof params.backendApiLatencyMs === 'number' && params.backendApiLatencyMs >= 0) backendApiLatencyMs = params.backendApiLatencyMs;
        return sendJson(response, 200, { appUrl, tokenTtlSeconds, settings, backendApiLatencyMs });
      }
      case 'PUT /_control/webhooks':
        return sendJson(response, 200, webhooks.configure(params as Partial<DeliverySettings> & { endpoint?: string | null }));
      case 'POST /_control/webhooks/release':
        return sendJson(response, 200, { released: webhooks.release() });
      case 'POST /_control/webhooks/redeliver':
        return sendJson(response, 200, { redelivered: webhooks.redeliver(Array.isArray(params.ids) ? params.ids.map(String) : undefined) });
      case 'GET /_control/webhooks/stats':
        return sendJson(response, 200, { ...webhooks.stats, pending: webhooks.pending(), byStatus: countBy(webhooks.deliveries.map((d) => d.status)) });
      case 'GET /_control/stats/backend-api': {
        const byRoute = Object.fromEntries(backendApiCalls);
        return sendJson(response, 200, { total: [...backendApiCalls.values()].reduce((sum, n) => sum + n, 0), byRoute });
      }
      case 'GET /_control/stats/backend-api/requests': {
        // `?since=<seq>`: only the requests after that one; `last` is the latest seq, for the next `since`.
        const since = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('since') ?? 0);
        const kept = requestLog.slice(-REQUEST_LOG_SIZE);
        return sendJson(response, 200, { last: requestSeq, requests: kept.filter((entry) => entry.seq > since) });
      }
      case 'GET /_control/webhooks/deliveries':
        return sendJson(response, 200, webhooks.deliveries.map(({ payload: _payload, ...rest }) => rest));
      case 'POST /_control/rate-limit':
        rateLimit = { remaining: Number(params.count ?? 1), retryAfter: Number(params.retryAfter ?? 1) };
        return sendJson(response, 200, rateLimit);
      case 'POST /_control/server-errors':
        serverErrors = { remaining: Number(params.count ?? 1), status: Number(params.status ?? 503), route: typeof params.route === 'string' ? params.route : null };
        return sendJson(response, 200, serverErrors);
      case 'PUT /_control/list-hides':
        hiddenFromList = new Set(Array.isArray(params.userIds) ? params.userIds.map(String) : []);
        return sendJson(response, 200, { hidden: [...hiddenFromList] });
      case 'POST /_control/users/bulk': {
        const count = Math.min(Number(params.count ?? 0), 1_000_000);
        const prefix = typeof params.prefix === 'string' ? params.prefix : `load-${Date.now().toString(36)}`;
        const notify = params.notify === true;
        const start = Date.now() - count;
        for (let i = 0; i < count; i++) {
          store.createUser(
            { emailAddresses: [`${prefix}-${i}@example.test`], firstName: 'Load', lastName: `User ${i}`, createdAt: start + i },
            { notify },
          );
        }
        return sendJson(response, 200, { created: count, total: store.countUsers() });
      }
      case 'GET /_control/users/export':
        // Compact truth for large comparisons (reconcile benchmarks): [id, primary email, first, last, updated_at].
        return sendJson(
          response,
          200,
          store.listUsers().map((user) => [user.id, primaryEmail(user), user.first_name, user.last_name, user.updated_at]),
        );
      case 'POST /_control/sessions': {
        // A signed-in browser without the browser: the cookies sign-in would set (in `organizationId`, or null for the personal account, if given).
        const user = store.getUser(String(params.userId));
        const organization = params.organizationId === undefined ? undefined : typeof params.organizationId === 'string' ? params.organizationId : null;
        const { session, token, cookies } = await mintSession(user, clerkId('client'), organization);
        return sendJson(response, 200, { sessionId: session.id, clientId: session.clientId, token, cookies });
      }
      case 'PUT /_control/sessions/active-organization': {
        // What clerk-js's setActive({ organization }) does; answers with the session's next token.
        const organization = typeof params.organizationId === 'string' && params.organizationId ? params.organizationId : null;
        const session = store.setActiveOrganization(String(params.sessionId), organization);
        const token = await tokenFor(session, Math.floor(Date.now() / 1000));
        return sendJson(response, 200, { sessionId: session.id, activeOrganizationId: session.activeOrganizationId, token });
      }
      case 'POST /_control/organizations': {
        const organization = store.createOrganization(
          {
            name: checkName(params.name),
            slug: typeof params.slug === 'string' ? params.slug : undefined,
            createdBy: typeof params.createdBy === 'string' ? params.createdBy : undefined,
            maxAllowedMemberships: typeof params.maxAllowedMemberships === 'number' ? params.maxAllowedMemberships : undefined,
          },
          { notify: params.notify !== false },
        );
        return sendJson(response, 200, store.withMembersCount(organization));
      }
      case 'POST /_control/organizations/delete': {
        const organization = store.deleteOrganization(String(params.organizationId));
        return sendJson(response, 200, { object: 'organization', id: organization.id, slug: organization.slug, deleted: true });
      }
      case 'POST /_control/memberships': {
        const membership = store.createMembership(String(params.organizationId), { userId: String(params.userId), role: params.role ?? MEMBER_ROLE }, { notify: params.notify !== false });
        return sendJson(response, 200, store.membershipJSON(membership));
      }
      case 'PUT /_control/memberships':
        return sendJson(response, 200, store.membershipJSON(store.updateMembership(String(params.organizationId), String(params.userId), { role: params.role })));
      case 'POST /_control/memberships/delete':
        return sendJson(response, 200, store.deleteMembership(String(params.organizationId), String(params.userId)));
      case 'POST /_control/organizations/bulk':
        return sendJson(response, 200, bulkOrganizations(params));
      case 'GET /_control/organizations/export':
        // Compact truth for large comparisons: [id, slug, name, members count, updated_at].
        return sendJson(
          response,
          200,
          store.listOrganizations().map((o) => [o.id, o.slug, o.name, store.membersCount(o.id), o.updated_at]),
        );
      case 'GET /_control/memberships/export':
        // [id, organization id, user id, role, updated_at].
        return sendJson(
          response,
          200,
          store.listOrganizations().flatMap((o) => store.listMemberships(o.id).map((m) => [m.id, m.organizationId, m.userId, m.role, m.updatedAt])),
        );
      case 'POST /_control/tokens': {
        // Tokens with chosen claims (expired, another azp) for negative tests.
        const token = await signSessionToken(keys, {
          sub: String(params.sub),
          sid: String(params.sid ?? clerkId('sess')),
          azp: typeof params.azp === 'string' ? params.azp : appUrl,
          ttlSeconds: Number(params.ttlSeconds ?? tokenTtlSeconds),
          issuedAt: typeof params.issuedAt === 'number' ? params.issuedAt : undefined,
        });
        return sendJson(response, 200, { token });
      }
      case 'POST /_control/reset':
        store.reset();
        webhooks.clear();
        webhooks.configure({ hold: false, duplicates: 0, delayMs: 0, reorder: false, dropRate: 0 });
        rateLimit = { remaining: 0, retryAfter: 1 };
        serverErrors = { remaining: 0, status: 503, route: null };
        hiddenFromList = new Set();
        settings = { names: true };
        backendApiLatencyMs = options.backendApiLatencyMs ?? 0;
        backendApiCalls.clear();
        requestLog = [];
        return sendJson(response, 200, { status: 'ok' });
      default:
        throw notFound();
    }
  }

  /**
   * Organizations for load tests, each with `membersPerOrg` of the existing
   * users (taken in turn; the first one is its admin and creator), without
   * webhooks unless `notify`.
   */
  function bulkOrganizations(params: Record<string, unknown>) {
    const count = Math.min(Number(params.count ?? 0), 100_000);
    const membersPerOrg = Number(params.membersPerOrg ?? 1);
    const prefix = typeof params.prefix === 'string' ? params.prefix : `load-${Date.now().toString(36)}`;
    const notify = params.notify === true;
    const users = store.listUsers();
    if (!Number.isInteger(membersPerOrg) || membersPerOrg < 1 || membersPerOrg > users.length) {
      throw formError('membersPerOrg', 'form_param_value_invalid', 'is invalid', `membersPerOrg must be between 1 and the ${users.length} users there are.`);
    }
    const start = Date.now() - count;
    for (let i = 0; i < count; i++) {
      const members = Array.from({ length: membersPerOrg }, (_, j) => users[(i * membersPerOrg + j) % users.length]!);
      const createdAt = start + i;
      const organization = store.createOrganization({ name: `${prefix} ${i}`, slug: `${prefix}-${i}`, createdBy: members[0]!.id, createdAt }, { notify });
      for (const member of members.slice(1)) store.createMembership(organization.id, { userId: member.id, role: MEMBER_ROLE }, { notify, createdAt });
    }
    return { created: count, memberships: count * membersPerOrg, total: store.listOrganizations().length };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://localhost:${port}`,
    port,
    controlToken,
    instanceId,
    keys,
    publishableKey: PUBLISHABLE_KEY,
    store,
    webhooks,
    async close() {
      webhooks.close();
      await store.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
