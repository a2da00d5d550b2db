/**
 * The environment, read and validated in one place.
 *
 * Every variable the project reads is named here once, with its default for
 * local development and a message a person can act on when it is wrong.
 * Nothing else reads `process.env` (an ESLint rule enforces it). Parsing is
 * lazy so that `next build` does not need runtime secrets.
 */
import { z } from 'zod';
import { EMULATOR_FRONTEND_API_HOST, EMULATOR_SECRET_KEY_PREFIX, frontendApiHostOf } from './clerk-emulator-identity';
import { isUsableWebhookSecret, WEBHOOK_SECRET_MIN_BYTES, WEBHOOK_SECRET_PREFIX } from './webhook-signing-secret';

const postgresUrl = z
  .string()
  .trim()
  .min(1)
  .refine((value) => /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a PostgreSQL connection string (postgresql://user:password@host:port/database)',
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/]+/.test(value), { message: 'must be an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''));

const prefixed = (prefix: string, what: string) =>
  z.string().trim().refine((value) => value.startsWith(prefix), { message: `must be a ${what} starting with ${prefix}` });

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const days = z.coerce.number().int().min(1).max(3650);

export const DEFAULT_APP_URL = 'http://localhost:3000';

/** Loopback hosts: the one place plain http is fine for APP_URL in production (trying the build locally). */
const isLoopback = (url: string) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);

/** How long the webhook ledger keeps personal data and rows (docs/decisions/008), and the audit log its events (024). */
const retentionSchema = {
  /** Days a processed delivery keeps its (reduced) payload, for replay after a fix. */
  WEBHOOK_PAYLOAD_RETENTION_DAYS: days.default(7),
  /** Days a delivery's ledger row (ids, type, outcome, times) is kept for audit and idempotency. */
  WEBHOOK_LEDGER_RETENTION_DAYS: days.default(30),
  /** Days the report of a reconcile run is kept, for the operator console (ids and counts only). */
  RECONCILE_REPORT_RETENTION_DAYS: days.default(30),
  /** Days an audit event (ids, action, time) is kept: a year of who did what, then pruned. */
  AUDIT_LOG_RETENTION_DAYS: days.default(365),
};

/** A Clerk user id as Clerk makes them (`user_` and base62), e.g. `user_2abcDEF…`. */
const CLERK_USER_ID = /^user_[A-Za-z0-9]+$/;

/**
 * The operators: Clerk user ids, separated by commas (docs/decisions/025). Unset: nobody is one,
 * and /ops is a 404 for everyone.
 */
const operatorIds = z
  .string()
  .transform((value) => value.split(',').map((id) => id.trim()).filter(Boolean))
  .refine((ids) => ids.every((id) => CLERK_USER_ID.test(id)), {
    message: 'must be Clerk user ids (user_…) separated by commas',
  })
  .transform((ids) => new Set(ids));

/** Variables the web app needs at run time, each on its own. */
const appFields = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: postgresUrl,
    LOG_LEVEL: logLevel.default('info'),
    /** Where the app is reached: the session tokens' authorized party. Required (https) in production. */
    APP_URL: httpUrl.optional(),
    // Clerk. The SDK reads these same names itself; we validate them here.
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: prefixed('pk_', 'Clerk publishable key'),
    CLERK_SECRET_KEY: prefixed('sk_', 'Clerk secret key'),
    CLERK_WEBHOOK_SIGNING_SECRET: z
      .string()
      .trim()
      .refine(isUsableWebhookSecret, {
        message: `must be ${WEBHOOK_SECRET_PREFIX} followed by the base64 of at least ${WEBHOOK_SECRET_MIN_BYTES} bytes, as Clerk makes it`,
      }),
    CLERK_API_URL: httpUrl.default('https://api.clerk.com'),
    /** PEM public key: verify session tokens with no network (the SDK does not read it by itself). */
    CLERK_JWT_KEY: z
      .string()
      .trim()
      .refine((value) => value.includes('BEGIN PUBLIC KEY'), { message: 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)' })
      .optional(),
    /** Comma-separated origins whose session tokens are accepted (`azp`); default APP_URL. */
    CLERK_AUTHORIZED_PARTIES: z.string().optional(),
    /**
     * The Clerk dashboard's "Allow personal accounts" (Organizations settings), which the app must
     * match: off by default, as Clerk's is once Organizations are on. Off, every signed-in user works
     * in an organization (their session is pending until they choose or create one) and the personal
     * space is not offered; on, /dashboard and /posts are the personal space.
     */
    CLERK_ALLOW_PERSONAL_ACCOUNTS: flag.default(false),
    /** Set (by `npm run dev` and the tests) when the local Clerk emulator stands in for Clerk. */
    CLERK_EMULATOR_URL: httpUrl.optional(),
    /** The explicit opt-in to the emulator's configuration, set only by `npm run dev`, the tests and the bench. */
    CLERK_EMULATOR_ALLOWED: flag.default(false),
    ...retentionSchema,
    /** Minutes between the app's own prunes of expired data; 0: only `npm run data:prune` prunes. */
    DATA_PRUNE_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
    /** Who may open the operator console (/ops): Clerk user ids, comma-separated (docs/decisions/025). */
    OPS_OPERATOR_CLERK_IDS: operatorIds.default(new Set<string>()),
  });

/** ... and together: checks across variables. */
const appSchema = appFields
  .superRefine((env, ctx) => {
    const markers = [
      env.CLERK_EMULATOR_URL ? 'CLERK_EMULATOR_URL is set' : null,
      frontendApiHostOf(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY) === EMULATOR_FRONTEND_API_HOST ? 'NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is the emulator\'s' : null,
      env.CLERK_SECRET_KEY.startsWith(EMULATOR_SECRET_KEY_PREFIX) ? 'CLERK_SECRET_KEY is the emulator\'s' : null,
    ].filter(Boolean);
    if (markers.length > 0 && !env.CLERK_EMULATOR_ALLOWED) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLERK_EMULATOR_URL'],
        message:
          `This is the local Clerk emulator's configuration (${markers.join('; ')}), which must never serve real users. ` +
          'For production, set your Clerk instance\'s keys (see docs/deploy.md) and unset CLERK_EMULATOR_URL. ' +
          'To run locally, use `npm run dev`; to try the production build on your machine, set CLERK_EMULATOR_ALLOWED=true.',
        params: { complete: true },
      });
    }
    // The opt-in exists for this machine (npm run start:local, the tests): served from anywhere else, the emulator's keys would sign anyone in.
    const remote = (
      [
        ['APP_URL', env.APP_URL],
        ['CLERK_API_URL', env.CLERK_API_URL],
      ] as const
    ).find(([, url]) => url !== undefined && !isLoopback(url));
    if (markers.length > 0 && env.CLERK_EMULATOR_ALLOWED && env.NODE_ENV === 'production' && remote) {
      ctx.addIssue({
        code: 'custom',
        path: [remote[0]],
        message:
          `This is the local Clerk emulator's configuration (${markers.join('; ')}), and ${remote[0]} is ${remote[1]}: ` +
          'in production the emulator\'s configuration runs only on this machine, with APP_URL and CLERK_API_URL on localhost, whatever CLERK_EMULATOR_ALLOWED says. ' +
          'To serve people, set your Clerk instance\'s keys (see docs/deploy.md) and unset CLERK_EMULATOR_URL and CLERK_EMULATOR_ALLOWED; ' +
          'to try the production build on your machine, run `npm run start:local`.',
        params: { complete: true },
      });
    }
    if (env.NODE_ENV === 'production') {
      if (!env.APP_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['APP_URL'],
          message: 'APP_URL is missing: in production set it to the https address people use to reach the app (e.g. https://app.example.com).',
          params: { complete: true },
        });
      } else if (!env.APP_URL.startsWith('https://') && !isLoopback(env.APP_URL)) {
        ctx.addIssue({
          code: 'custom',
          path: ['APP_URL'],
          message: `APP_URL is invalid: in production it must be an https address (it is ${env.APP_URL}); plain http is only for localhost.`,
          params: { complete: true },
        });
      }
    }
  })
  .transform((env) => ({ ...env, APP_URL: env.APP_URL ?? DEFAULT_APP_URL }));

/** Variables the scripts in `scripts/` and the test setup read. */
const toolSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  /** A direct (unpooled) connection for migrations, when DATABASE_URL goes through a transaction pooler. */
  DIRECT_URL: postgresUrl.optional(),
  ...retentionSchema,
  TEST_DATABASE_URL: postgresUrl.optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54320),
  LOG_LEVEL: logLevel.default('info'),
  CI: z.string().optional(),
  /** Real Clerk keys: when set, `npm run dev` uses Clerk and does not start the emulator. */
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: z.string().optional(),
  CLERK_SECRET_KEY: z.string().optional(),
  CLERK_API_URL: httpUrl.optional(),
  /** Port of the local Clerk emulator under `npm run dev`. */
  CLERK_EMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Lifetime of the emulator's session tokens (docs/decisions/004). */
  CLERK_EMULATOR_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
  /**
   * The emulator's "Allow personal accounts" under `npm run dev` (and the app's, to match): on here,
   * so the walkthrough's personal space exists; `false` runs Clerk's default (every user works in an
   * organization, after choosing or creating one).
   */
  CLERK_ALLOW_PERSONAL_ACCOUNTS: flag.default(true),
  /** When set, `npm run dev` gives `next dev` this key instead of the checkout's own (docs/decisions/018). */
  NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: z.string().optional(),
});

export type AppEnv = z.infer<typeof appSchema>;
export type ToolEnv = z.infer<typeof toolSchema>;

/** What to do about each variable when it is missing or wrong. */
const CLERK_KEYS_HINT =
  'copy it from the Clerk dashboard (API keys), or leave all Clerk keys unset and run `npm run dev`, which starts the local Clerk emulator';

const HINTS: Record<string, string> = {
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: CLERK_KEYS_HINT,
  CLERK_SECRET_KEY: CLERK_KEYS_HINT,
  CLERK_WEBHOOK_SIGNING_SECRET:
    'copy the signing secret of your webhook endpoint from the Clerk dashboard (Webhooks), or run `npm run dev`, which sets the emulator\'s',
  CLERK_JWT_KEY: 'copy the PEM public key from the Clerk dashboard (API keys), or unset it to fetch keys from Clerk',
  DATABASE_URL:
    'set it to a PostgreSQL connection string, or run `npm run dev`, which starts an embedded PostgreSQL and sets it',
  DIRECT_URL: 'set it to a direct (not pooled) PostgreSQL connection string, or unset it to migrate through DATABASE_URL',
  OPS_OPERATOR_CLERK_IDS:
    'list the Clerk user ids (user_…, from the Clerk dashboard\'s Users page, or the emulator\'s admin page under `npm run dev`) of the people who may open /ops, separated by commas',
  TEST_DATABASE_URL: 'unset it to let `npm test` start its own embedded PostgreSQL',
  LOG_LEVEL: 'use one of fatal, error, warn, info, debug, trace, silent',
  PORT: 'use a port number from 1 to 65535, e.g. PORT=3100',
  CLERK_EMULATOR_PORT: 'use a port number from 1 to 65535, e.g. CLERK_EMULATOR_PORT=3101',
  EMBEDDED_POSTGRES_PORT: 'use a port number from 1 to 65535, e.g. EMBEDDED_POSTGRES_PORT=54330',
};

export class EnvError extends Error {
  override name = 'EnvError';
}

/** One line per variable: what is wrong and what to do; a single problem is a single line. */
function formatIssues(error: z.ZodError, source: Record<string, unknown>): string {
  const lines = error.issues.map((issue) => {
    // Checks across variables word their whole message themselves.
    if (issue.code === 'custom' && (issue as { params?: { complete?: boolean } }).params?.complete) return issue.message;
    const key = String(issue.path[0] ?? '');
    // Never the value itself: it may be a secret.
    const problem = source[key] === undefined || source[key] === '' ? 'is missing' : `is invalid: ${issue.message}`;
    const hint = HINTS[key];
    return `${key} ${problem}${hint ? `: ${hint}` : ''}`;
  });
  return lines.length === 1 ? `Invalid environment: ${lines[0]}` : `Invalid environment:\n${lines.map((line) => `  - ${line}`).join('\n')}`;
}

function parse<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  // An empty string means "unset" for every variable: shells and .env files
  // produce `FOO=` far more often than anyone means an empty value.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) throw new EnvError(formatIssues(result.error, cleaned));
  return result.data;
}

let appEnv: AppEnv | undefined;
let databaseUrl: string | undefined;
let webhookSecret: string | undefined;

/*
 * Narrow readers, for code that runs outside the web app too (scripts,
 * tests): each validates only what it returns. The app checks everything at
 * start (instrumentation-node.ts), so these agree with getAppEnv() there.
 */

export function getDatabaseUrl(): string {
  databaseUrl ??= appEnv?.DATABASE_URL ?? parse(appFields.pick({ DATABASE_URL: true }), process.env).DATABASE_URL;
  return databaseUrl;
}

export function getLogLevel(): AppEnv['LOG_LEVEL'] {
  return appEnv?.LOG_LEVEL ?? parse(appFields.pick({ LOG_LEVEL: true }), process.env).LOG_LEVEL;
}

export function getWebhookSigningSecret(): string {
  webhookSecret ??=
    appEnv?.CLERK_WEBHOOK_SIGNING_SECRET ??
    parse(appFields.pick({ CLERK_WEBHOOK_SIGNING_SECRET: true }), process.env).CLERK_WEBHOOK_SIGNING_SECRET;
  return webhookSecret;
}

/** The Clerk user ids of the operators (who may open /ops); empty when none are set. */
export function getOperatorClerkIds(): ReadonlySet<string> {
  return appEnv?.OPS_OPERATOR_CLERK_IDS ?? parse(appFields.pick({ OPS_OPERATOR_CLERK_IDS: true }), process.env).OPS_OPERATOR_CLERK_IDS;
}

/** Where people reach the app (links Clerk sends them back to); DEFAULT_APP_URL when unset outside production. */
export function getAppUrl(): string {
  return appEnv?.APP_URL ?? parse(appFields.pick({ APP_URL: true }), process.env).APP_URL ?? DEFAULT_APP_URL;
}

export type RetentionSettings = z.infer<z.ZodObject<typeof retentionSchema>>;

export function getRetentionSettings(): RetentionSettings {
  return appEnv ?? parse(z.object(retentionSchema), process.env);
}

/** The web app's environment from `source`; throws an `EnvError` that says what to fix. */
export function parseAppEnv(source: Record<string, string | undefined>): AppEnv {
  return parse(appSchema, source);
}

/** The web app's environment, parsed once; throws an `EnvError` that says what to fix. */
export function getAppEnv(): AppEnv {
  appEnv ??= parseAppEnv(process.env);
  return appEnv;
}

/** The scripts' environment: everything optional, with local defaults. */
export function getToolEnv(source: Record<string, string | undefined> = process.env): ToolEnv {
  return parse(toolSchema, source);
}
