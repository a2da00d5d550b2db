/**
 * The control API (`/_control/…`, its token required): what tests and tools
 * do to the emulator that Clerk's dashboard or a network would (instance
 * settings, webhook faults, 429s and 5xxs, bulk users and organizations,
 * sessions without a browser) and what they read back (call counts, the
 * request log, the contract report).
 */
import type { EmulatorContext, InstanceSettings } from '../context';
import { ApiError, formError } from '../errors';
import { readParams, sendJson } from '../http';
import { clerkId } from '../ids';
import { PUBLISHABLE_KEY } from '../keys';
import { checkName, MEMBER_ROLE } from '../organizations';
import { route, type Route } from '../router';
import { signSessionToken } from '../tokens';
import { primaryEmail } from '../users';
import type { DeliverySettings } from '../webhooks';
import { API_VERSIONS } from '../contract/contract';

export const CONTROL_TOKEN_HEADER = 'x-emulator-control-token';

export interface ControlHooks {
  /** Apply instance settings given to `PUT /_control/config`. */
  configure(settings: Partial<InstanceSettings>): void;
  /** Everything back to how the emulator started. */
  reset(): void;
  backendApiStats(): unknown;
  backendApiRequests(since: number): unknown;
  /** The route table, for the contract's coverage check. */
  routes(): Route[];
}

export function controlRoutes(context: EmulatorContext, hooks: ControlHooks): Route[] {
  const { store, webhooks } = context;
  const control = (method: string, path: string, handle: (params: Record<string, unknown>, url: URL) => unknown | Promise<unknown>): Route =>
    route('control', method, path, async ({ request, response, url }) => {
      const params = request.method === 'GET' ? {} : await readParams(request);
      sendJson(response, 200, await handle(params, url));
    });
  const countBy = (values: string[]) => {
    const counts: Record<string, number> = {};
    for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  };

  return [
    control('GET', '/_control/health', () => ({ status: 'ok' })),
    control('GET', '/_control/config', () => ({
      url: context.selfUrl(),
      publishableKey: PUBLISHABLE_KEY,
      secretKey: context.keys.secretKey,
      jwtKey: context.keys.publicKeyPem,
      webhookSecret: context.keys.webhookSecret,
      appUrl: context.appUrl,
      tokenTtlSeconds: context.tokenTtlSeconds,
      backendApiLatencyMs: context.faults.backendApiLatencyMs,
      settings: context.settings,
      apiVersions: API_VERSIONS,
      webhooks: webhooks.getSettings(),
    })),
    control('PUT', '/_control/config', (params) => {
      if (typeof params.appUrl === 'string') context.appUrl = new URL(params.appUrl).origin;
      if (typeof params.tokenTtlSeconds === 'number') context.tokenTtlSeconds = params.tokenTtlSeconds;
      if (params.settings && typeof params.settings === 'object') hooks.configure(params.settings as Partial<InstanceSettings>);
      if (typeof params.backendApiLatencyMs === 'number' && params.backendApiLatencyMs >= 0) context.faults.backendApiLatencyMs = params.backendApiLatencyMs;
      return { appUrl: context.appUrl, tokenTtlSeconds: context.tokenTtlSeconds, settings: context.settings, backendApiLatencyMs: context.faults.backendApiLatencyMs };
    }),
    control('GET', '/_control/contract', () => context.contract.report()),
    control('GET', '/_control/routes', () => ({ routes: hooks.routes().map(({ kind, method, path }) => ({ kind, method, path })) })),
    control('PUT', '/_control/webhooks', (params) => webhooks.configure(params as Partial<DeliverySettings> & { endpoint?: string | null })),
    control('POST', '/_control/webhooks/release', () => ({ released: webhooks.release() })),
    control('POST', '/_control/webhooks/redeliver', (params) => ({ redelivered: webhooks.redeliver(Array.isArray(params.ids) ? params.ids.map(String) : undefined) })),
    control('GET', '/_control/webhooks/stats', () => ({ ...webhooks.stats, pending: webhooks.pending(), byStatus: countBy(webhooks.deliveries.map((d) => d.status)) })),
    control('GET', '/_control/webhooks/deliveries', () => webhooks.deliveries.map(({ payload: _payload, ...rest }) => rest)),
    control('GET', '/_control/stats/backend-api', () => hooks.backendApiStats()),
    // `?since=<seq>`: only the requests after that one; `last` is the latest seq, for the next `since`.
    control('GET', '/_control/stats/backend-api/requests', (_params, url) => hooks.backendApiRequests(Number(url.searchParams.get('since') ?? 0))),
    control('POST', '/_control/rate-limit', (params) => {
      context.faults.rateLimit = { remaining: Number(params.count ?? 1), retryAfter: Number(params.retryAfter ?? 1) };
      return context.faults.rateLimit;
    }),
    control('POST', '/_control/server-errors', (params) => {
      context.faults.serverErrors = { remaining: Number(params.count ?? 1), status: Number(params.status ?? 503), route: typeof params.route === 'string' ? params.route : null };
      return context.faults.serverErrors;
    }),
    control('PUT', '/_control/list-hides', (params) => {
      context.faults.hiddenFromList = new Set(Array.isArray(params.userIds) ? params.userIds.map(String) : []);
      return { hidden: [...context.faults.hiddenFromList] };
    }),
    control('POST', '/_control/users/bulk', (params) => {
      const count = Math.min(Number(params.count ?? 0), 1_000_000);
      const prefix = typeof params.prefix === 'string' ? params.prefix : `load-${Date.now().toString(36)}`;
      const notify = params.notify === true;
      const start = Date.now() - count;
      for (let i = 0; i < count; i++) {
        store.createUser({ emailAddresses: [`${prefix}-${i}@example.test`], firstName: 'Load', lastName: `User ${i}`, createdAt: start + i }, { notify });
      }
      return { created: count, total: store.countUsers() };
    }),
    // Compact truth for large comparisons (reconcile benchmarks): [id, primary email, first, last, updated_at].
    control('GET', '/_control/users/export', () => store.listUsers().map((user) => [user.id, primaryEmail(user), user.first_name, user.last_name, user.updated_at])),
    control('POST', '/_control/sessions', async (params) => {
      // A signed-in browser without the browser: the cookies sign-in would set (in `organizationId`, or null for the personal account, if given).
      const user = store.getUser(String(params.userId));
      const organization = params.organizationId === undefined ? undefined : typeof params.organizationId === 'string' ? params.organizationId : null;
      const { session, token, cookies } = await context.mintSession(user, clerkId('client'), organization);
      return { sessionId: session.id, clientId: session.clientId, token, cookies, status: context.sessionStatus(session) };
    }),
    control('PUT', '/_control/sessions/active-organization', async (params) => {
      // What clerk-js's setActive({ organization }) does; answers with the session's next token.
      const organization = typeof params.organizationId === 'string' && params.organizationId ? params.organizationId : null;
      const session = store.setActiveOrganization(String(params.sessionId), organization);
      const token = await context.tokenFor(session, Math.floor(Date.now() / 1000));
      return { sessionId: session.id, activeOrganizationId: session.activeOrganizationId, token, status: context.sessionStatus(session) };
    }),
    control('POST', '/_control/organizations', (params) => {
      const organization = store.createOrganization(
        {
          name: checkName(params.name),
          slug: typeof params.slug === 'string' ? params.slug : undefined,
          createdBy: typeof params.createdBy === 'string' ? params.createdBy : undefined,
          maxAllowedMemberships: typeof params.maxAllowedMemberships === 'number' ? params.maxAllowedMemberships : undefined,
        },
        { notify: params.notify !== false },
      );
      return store.withMembersCount(organization);
    }),
    control('POST', '/_control/organizations/delete', (params) => {
      const organization = store.deleteOrganization(String(params.organizationId));
      return { object: 'organization', id: organization.id, slug: organization.slug, deleted: true };
    }),
    control('POST', '/_control/memberships', (params) =>
      store.membershipJSON(store.createMembership(String(params.organizationId), { userId: String(params.userId), role: params.role ?? MEMBER_ROLE }, { notify: params.notify !== false })),
    ),
    control('PUT', '/_control/memberships', (params) => store.membershipJSON(store.updateMembership(String(params.organizationId), String(params.userId), { role: params.role }))),
    control('POST', '/_control/memberships/delete', (params) => store.deleteMembership(String(params.organizationId), String(params.userId))),
    control('POST', '/_control/organizations/bulk', (params) => bulkOrganizations(context, params)),
    // Compact truth for large comparisons: [id, slug, name, members count, updated_at].
    control('GET', '/_control/organizations/export', () => store.listOrganizations().map((o) => [o.id, o.slug, o.name, store.membersCount(o.id), o.updated_at])),
    // [id, organization id, user id, role, updated_at].
    control('GET', '/_control/memberships/export', () =>
      store.listOrganizations().flatMap((o) => store.listMemberships(o.id).map((m) => [m.id, m.organizationId, m.userId, m.role, m.updatedAt])),
    ),
    control('POST', '/_control/tokens', async (params) => {
      // Tokens with chosen claims (expired, another azp, pending) for negative tests.
      const token = await signSessionToken(context.keys, {
        sub: String(params.sub),
        sid: String(params.sid ?? clerkId('sess')),
        azp: typeof params.azp === 'string' ? params.azp : context.appUrl,
        ttlSeconds: Number(params.ttlSeconds ?? context.tokenTtlSeconds),
        issuedAt: typeof params.issuedAt === 'number' ? params.issuedAt : undefined,
        status: params.status === 'pending' ? 'pending' : undefined,
      });
      return { token };
    }),
    // The store's clock (object times, invitation expiry), moved on only: `{ advanceMs }`. Session tokens keep the wall clock, which the app verifies them by.
    control('GET', '/_control/clock', () => store.clockState()),
    control('POST', '/_control/clock', (params) => store.advanceClock(Number(params.advanceMs ?? 0))),
    control('POST', '/_control/reset', () => {
      hooks.reset();
      return { status: 'ok' };
    }),
  ];
}

/** The control API's token, made anew on every run and handed only to the process that started the emulator. */
export function checkControlToken(context: EmulatorContext, header: string | string[] | undefined): void {
  if (header !== context.controlToken) {
    throw new ApiError(401, [{ code: 'control_token_invalid', message: 'control token required', long_message: `The control API needs the ${CONTROL_TOKEN_HEADER} header the emulator printed at start.` }]);
  }
}

/**
 * Organizations for load tests, each with `membersPerOrg` of the existing
 * users (taken in turn; the first one is its admin and creator), without
 * webhooks unless `notify`.
 */
function bulkOrganizations({ store }: EmulatorContext, params: Record<string, unknown>) {
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
