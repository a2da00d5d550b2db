/**
 * The local Clerk emulator: an HTTP server on loopback that stands in for
 * Clerk's hosted side so the real Clerk SDK can run offline. Its routes are
 * a table (router.ts), one module per Clerk resource (routes/):
 *
 *   users, email-addresses, organizations, memberships   the Backend API's objects
 *   invitations    organization invitations, their accept link and the mailbox
 *   roles          organization roles and permissions (the instance's, as objects)
 *   billing        Clerk Billing: plans, subscriptions, payments, checkout and subscription pages
 *   sessions       the handshake, session touch, server-side refresh
 *   keys           JWKS and the instance
 *   account-portal sign-in, sign-up, sign-out, the choose-organization task
 *   admin          the admin page and its forms
 *   control        the control API for tests and tools
 *
 * Every Backend API answer and webhook can be held to Clerk's published
 * contract (contract/); `Clerk-API-Version` must be one it speaks.
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
import { CHOOSE_ORGANIZATION_PATH, DEFAULT_INSTANCE_SETTINGS, type EmulatorContext, type Faults, type InstanceSettings } from './context';
import { API_VERSIONS, ContractCheck, type ContractMode, contractModeFrom, violationsMessage } from './contract/contract';
import * as schema from './contract/schemas';
import type { PlanConfig } from './billing';
import { ApiError, formError, notFound, rateLimited, unauthorized } from './errors';
import { sendJson } from './http';
import { randomToken } from './ids';
import { type EmulatorKeys, loadKeys, PUBLISHABLE_KEY } from './keys';
import { type RequestContext, type Route, RouteTable } from './router';
import { accountPortalRoutes } from './routes/account-portal';
import { adminRoutes } from './routes/admin';
import { BILLING_FORMS, billingRoutes } from './routes/billing';
import { checkControlToken, CONTROL_TOKEN_HEADER, controlRoutes } from './routes/control';
import { emailAddressRoutes } from './routes/email-addresses';
import { invitationRoutes } from './routes/invitations';
import { instanceRoutes } from './routes/keys';
import { membershipRoutes } from './routes/memberships';
import { organizationRoutes } from './routes/organizations';
import { roleRoutes } from './routes/roles';
import { sessionRoutes } from './routes/sessions';
import { userRoutes } from './routes/users';
import { type Session, Store } from './store';
import { COOKIES, sessionCookies, signSessionToken } from './tokens';
import { WebhookDispatcher } from './webhooks';
import type { z } from 'zod';

export { CONTROL_TOKEN_HEADER };

const planClaim = (plan: PlanConfig | undefined) => plan && { slug: plan.slug, features: plan.features };

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
  /** Instance settings to start with (and to return to on reset); Clerk's defaults otherwise. */
  instance?: Partial<InstanceSettings>;
  /** Whether answers and webhooks are checked against Clerk's contract; default `CLERK_EMULATOR_CONTRACT`, else off. */
  contract?: ContractMode;
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
  contract: ContractCheck;
  /** Stops the emulator; in `enforce` mode, fails with the contract violations if there were any. */
  close(): Promise<void>;
}

const CLIENT_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600;

/** Clerk's limit on name parts (its `form_param_max_length_exceeded`). */
const NAME_MAX = 256;

/**
 * Backend API routes by name for the call counts and fault injection: the id
 * (or slug) after a collection becomes `:id` (`GET /v1/organizations/:id/memberships/:id`).
 */
const COLLECTIONS = new Set(['users', 'organizations', 'memberships', 'sessions', 'email_addresses', 'organization_roles', 'organization_permissions', 'permissions', 'invitations', 'subscription_items', 'statements']);
const LITERALS = new Set(['count', 'bulk', 'pending']);

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

const API_VERSION_HEADER = 'clerk-api-version';

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const keys = await loadKeys(options.dataDir);
  const instanceId = `ins_${keys.kid.slice(-12)}`;
  const contract = new ContractCheck(options.contract ?? contractModeFrom(process.env.CLERK_EMULATOR_CONTRACT));
  const webhooks = new WebhookDispatcher(options.webhookUrl, keys.webhookSecret, instanceId, (payload) => contract.checkWebhook(payload));
  if (options.webhookRetryBaseMs !== undefined) webhooks.configure({ retryBaseMs: options.webhookRetryBaseMs });
  const store = new Store(options.dataDir ? path.join(options.dataDir, 'state.json') : null, (event) => webhooks.enqueue(event));
  const initialSettings: InstanceSettings = { ...DEFAULT_INSTANCE_SETTINGS, ...options.instance };
  const initialFaults = (): Faults => ({
    rateLimit: { remaining: 0, retryAfter: 1 },
    serverErrors: { remaining: 0, status: 503, route: null },
    hiddenFromList: new Set(),
    backendApiLatencyMs: options.backendApiLatencyMs ?? 0,
  });
  /** Backend API calls by route (ids replaced by :id), for tests that count them. */
  const backendApiCalls = new Map<string, number>();
  /** The latest Backend API requests, oldest first (`GET /_control/stats/backend-api/requests`). */
  let requestLog: BackendApiRequest[] = [];
  let requestSeq = 0;
  let requestsInFlight = 0;

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof ApiError) return sendError(response, error);
      console.error('clerk-emulator:', error);
      if (!response.headersSent) sendJson(response, 500, { errors: [{ code: 'internal_clerk_error', message: 'Oops, an unexpected error occurred', long_message: String(error) }] });
      else response.end();
    });
  });
  const ownPort = () => (server.address() as AddressInfo).port;

  const personalAccountsAllowed = () => !context.settings.organizations || context.settings.allowPersonalAccounts;
  const sessionStatus = (session: Session) => (!personalAccountsAllowed() && !store.activeOrganizationOf(session) ? 'pending' : 'active');

  const context: EmulatorContext = {
    store,
    webhooks,
    keys,
    instanceId,
    controlToken: randomToken(24),
    contract,
    faults: initialFaults(),
    settings: { ...initialSettings },
    appUrl: new URL(options.appUrl).origin,
    tokenTtlSeconds: options.tokenTtlSeconds,
    selfUrl: () => `http://localhost:${ownPort()}`,
    safeRedirect(candidate) {
      if (candidate) {
        try {
          const url = new URL(candidate, context.appUrl);
          if (url.origin === context.appUrl) return url.toString();
        } catch {
          // fall through
        }
      }
      return `${context.appUrl}/`;
    },
    tokenFor(session, issuedAt) {
      const active = store.activeOrganizationOf(session);
      return signSessionToken(keys, {
        sub: session.userId,
        sid: session.id,
        azp: context.appUrl,
        ttlSeconds: context.tokenTtlSeconds,
        issuedAt,
        status: sessionStatus(session),
        organization: active && { id: active.organization.id, slug: active.organization.slug, role: active.membership.role, permissions: active.permissions },
        // The plans as they are at the token's issue: a change shows in the next token, as with Clerk.
        plans: { user: planClaim(store.billing.currentPlan('user', session.userId)), organization: active ? planClaim(store.billing.currentPlan('org', active.organization.id)) : undefined },
      });
    },
    async mintSession(user, clientId, activeOrganization) {
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
      const token = await context.tokenFor(session, now);
      const cookies = [
        ...sessionCookies(token, now, session.refreshToken),
        `${COOKIES.client}=${session.clientId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${CLIENT_COOKIE_MAX_AGE}`,
      ];
      return { session, token, cookies };
    },
    checkNames(params) {
      for (const param of ['first_name', 'last_name']) {
        if (!(param in params) || params[param] === null || params[param] === undefined) continue;
        if (!context.settings.names) throw formError(param, 'form_param_unknown', 'is unknown', `${param} is not a valid parameter for this request.`);
        if (String(params[param]).length > NAME_MAX) {
          throw formError(param, 'form_param_max_length_exceeded', 'exceeds maximum length', `${param} should not exceed ${NAME_MAX} characters.`);
        }
      }
    },
    personalAccountsAllowed,
    sessionStatus,
    sessionTasks: (session) => (sessionStatus(session) === 'pending' ? [{ key: 'choose-organization' }] : []),
  };

  function configure(settings: Partial<InstanceSettings>): void {
    context.settings = { ...context.settings, ...settings };
    store.configureOrganizations({ customRolePermissions: context.settings.customRolePermissions, cascadeMembershipEvents: context.settings.cascadeMembershipEvents });
    store.configureBilling(context.settings.billing);
  }
  configure({});

  const routes: RouteTable = new RouteTable([
    ...userRoutes(context),
    ...emailAddressRoutes(context),
    ...organizationRoutes(context),
    ...membershipRoutes(context),
    ...invitationRoutes(context),
    ...roleRoutes(context),
    ...billingRoutes(context),
    ...sessionRoutes(context),
    ...instanceRoutes(context),
    ...accountPortalRoutes(context),
    ...adminRoutes(context),
    ...controlRoutes(context, {
      configure,
      reset() {
        store.reset();
        webhooks.clear();
        webhooks.configure({ hold: false, duplicates: 0, delayMs: 0, reorder: false, dropRate: 0 });
        context.faults = initialFaults();
        context.settings = { ...initialSettings };
        configure({});
        backendApiCalls.clear();
        requestLog = [];
        // The contract report is kept: a drift a test provoked must still fail the emulator's close.
      },
      backendApiStats: () => ({ total: [...backendApiCalls.values()].reduce((sum, n) => sum + n, 0), byRoute: Object.fromEntries(backendApiCalls) }),
      routes: () => routes.routes,
      backendApiRequests: (since) => ({ last: requestSeq, requests: requestLog.slice(-REQUEST_LOG_SIZE).filter((entry) => entry.seq > since) }),
    }),
  ]);

  /** Only our own names: a page on another host that resolves to us (DNS rebinding) gets nothing. */
  function checkHost(request: IncomingMessage): void {
    const host = (request.headers.host ?? '').toLowerCase();
    if (![`localhost:${ownPort()}`, `127.0.0.1:${ownPort()}`, `[::1]:${ownPort()}`].includes(host)) {
      throw new ApiError(403, [{ code: 'host_invalid', message: 'unknown host', long_message: `The emulator answers only to localhost:${ownPort()}.` }]);
    }
  }

  /**
   * Requests that change something come from our own pages (or, for
   * sign-out and the session touch, the app's): a form on any other site is
   * refused. `required` for the browser forms; elsewhere only a present
   * Origin is checked (the control and Backend APIs need a secret no page has).
   */
  function checkOrigin(request: IncomingMessage, options: { required: boolean; allowApp: boolean }): void {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const origin = request.headers.origin;
    if (!origin) {
      if (options.required) throw new ApiError(403, [{ code: 'origin_invalid', message: 'missing Origin', long_message: 'Forms are accepted only from this emulator.' }]);
      return;
    }
    const allowed = [`http://localhost:${ownPort()}`, `http://127.0.0.1:${ownPort()}`, `http://[::1]:${ownPort()}`, ...(options.allowApp ? [context.appUrl] : [])];
    if (!allowed.includes(origin)) {
      throw new ApiError(403, [{ code: 'origin_invalid', message: 'cross-origin request', long_message: `Requests from ${origin} are not accepted.` }]);
    }
  }

  /** The Backend API's gate: the secret key, the API version, then the faults a test asked for. */
  function checkBackendRequest(request: IncomingMessage, key: string): void {
    if (request.headers.authorization !== `Bearer ${keys.secretKey}`) throw unauthorized();
    const version = request.headers[API_VERSION_HEADER];
    if (typeof version === 'string' && !(API_VERSIONS as readonly string[]).includes(version)) {
      throw new ApiError(400, [
        {
          code: 'api_version_invalid',
          message: 'unsupported API version',
          long_message: `Clerk-API-Version ${version} is not one this emulator speaks: ${API_VERSIONS.join(', ')}.`,
          meta: { supported_versions: [...API_VERSIONS] },
        },
      ]);
    }
    const { serverErrors, rateLimit } = context.faults;
    if (serverErrors.remaining > 0 && (serverErrors.route === null || serverErrors.route === key)) {
      serverErrors.remaining--;
      throw new ApiError(serverErrors.status, [{ code: 'internal_clerk_error', message: 'Oops, an unexpected error occurred', long_message: 'There was an internal error on our servers.' }]);
    }
    if (rateLimit.remaining > 0) {
      rateLimit.remaining--;
      throw rateLimited(rateLimit.retryAfter);
    }
  }

  /** A Backend API answer, checked against its operation's schema on the way out. */
  function sendAnswer(response: ServerResponse, subject: string, answers: z.ZodType, body: unknown): void {
    if (!contract.check(subject, answers, body)) return sendContractViolation(response, subject);
    sendJson(response, 200, body);
  }

  function sendError(response: ServerResponse, error: ApiError): void {
    const body = error.body();
    const path = backendPaths.get(response);
    const subject = `${response.req.method} ${path} ${error.status}`;
    if (path !== undefined && !contract.check(subject, schema.clerkErrors, body)) return sendContractViolation(response, subject);
    sendJson(response, error.status, body, error.headers);
  }

  function sendContractViolation(response: ServerResponse, subject: string): void {
    sendJson(response, 500, {
      errors: [{ code: 'emulator_contract_violation', message: 'off-contract answer', long_message: `The emulator's answer to ${subject} is off Clerk's contract: see GET /_control/contract.` }],
    });
  }

  /**
   * The Backend API's answers (not the Frontend API's, also under /v1/), the ones the contract
   * covers, with the path their report names: the route's template, or the path with its ids named.
   */
  const backendPaths = new WeakMap<ServerResponse, string>();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    checkHost(request);
    const matched = routes.match(method, url.pathname);
    const kind: Route['kind'] = matched?.route.kind ?? (url.pathname.startsWith('/v1/') ? 'backend' : url.pathname.startsWith('/_control/') ? 'control' : 'frontend');
    const browserForm = kind === 'admin' || ['/sign-in', '/sign-up', '/sign-out', CHOOSE_ORGANIZATION_PATH, ...BILLING_FORMS].includes(url.pathname);
    // The app's pages may sign out, and (clerk-js's setActive) switch the organization.
    checkOrigin(request, { required: browserForm, allowApp: url.pathname === '/sign-out' || url.pathname.endsWith('/touch') });

    if (kind === 'backend') {
      const key = routeKey(method, url.pathname);
      backendPaths.set(response, matched?.route.path ?? key.slice(method.length + 1));
      backendApiCalls.set(key, (backendApiCalls.get(key) ?? 0) + 1);
      logBackendApiRequest(key, url.search, response);
      if (context.faults.backendApiLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, context.faults.backendApiLatencyMs));
      checkBackendRequest(request, key);
    }
    if (kind === 'control') checkControlToken(context, request.headers[CONTROL_TOKEN_HEADER]);
    if (!matched) throw notFound();
    const requestContext: RequestContext = { request, response, url, params: matched.params };
    const { route } = matched;
    if (route.kind !== 'backend') return route.handle(requestContext);
    const body = await route.handle(requestContext);
    return sendAnswer(response, `${method} ${route.path} 200`, route.answers, body);
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = ownPort();
  // The accept links in invitations and their emails point here.
  store.acceptUrlBase = context.selfUrl();
  store.billing.instanceId = instanceId;

  return {
    url: `http://localhost:${port}`,
    port,
    controlToken: context.controlToken,
    instanceId,
    keys,
    publishableKey: PUBLISHABLE_KEY,
    store,
    webhooks,
    contract,
    async close() {
      webhooks.close();
      await store.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const { mode, violations } = contract.report();
      if (mode === 'enforce' && violations.length > 0) throw new Error(violationsMessage(violations));
    },
  };
}
