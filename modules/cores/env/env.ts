/**
 * The environment, read and validated in one place.
 *
 * Every variable the project reads is named here once, with its default for
 * local development and a message a person can act on when it is wrong.
 * Nothing else reads `process.env` (an ESLint rule enforces it). Parsing is
 * lazy so that `next build` does not need runtime secrets.
 */
import { z } from 'zod';

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

/** Variables the web app needs at run time. */
const appSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: postgresUrl,
  LOG_LEVEL: logLevel.default('info'),
  /** Where the app is reached: the session tokens' authorized party. */
  APP_URL: httpUrl.default('http://localhost:3000'),
  // Clerk. The SDK reads these same names itself; we validate them here.
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: prefixed('pk_', 'Clerk publishable key'),
  CLERK_SECRET_KEY: prefixed('sk_', 'Clerk secret key'),
  CLERK_WEBHOOK_SIGNING_SECRET: prefixed('whsec_', 'webhook signing secret'),
  CLERK_API_URL: httpUrl.default('https://api.clerk.com'),
  /** PEM public key: verify session tokens with no network (the SDK does not read it by itself). */
  CLERK_JWT_KEY: z
    .string()
    .trim()
    .refine((value) => value.includes('BEGIN PUBLIC KEY'), { message: 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)' })
    .optional(),
  /** Comma-separated origins whose session tokens are accepted (`azp`); default APP_URL. */
  CLERK_AUTHORIZED_PARTIES: z.string().optional(),
  /** Set (by `npm run dev` and the tests) when the local Clerk emulator stands in for Clerk. */
  CLERK_EMULATOR_URL: httpUrl.optional(),
});

/** Variables the scripts in `scripts/` and the test setup read. */
const toolSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  TEST_DATABASE_URL: postgresUrl.optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54320),
  LOG_LEVEL: logLevel.default('info'),
  CI: z.string().optional(),
  /** Real Clerk keys: when set, `npm run dev` uses Clerk and does not start the emulator. */
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: z.string().optional(),
  CLERK_SECRET_KEY: z.string().optional(),
  /** Port of the local Clerk emulator under `npm run dev`. */
  CLERK_EMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Lifetime of the emulator's session tokens (docs/decisions/004). */
  CLERK_EMULATOR_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
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
  TEST_DATABASE_URL: 'unset it to let `npm test` start its own embedded PostgreSQL',
  LOG_LEVEL: 'use one of fatal, error, warn, info, debug, trace, silent',
};

export class EnvError extends Error {
  override name = 'EnvError';
}

function formatIssues(error: z.ZodError, source: Record<string, unknown>): string {
  const lines = error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const problem = source[key] === undefined || source[key] === '' ? 'is missing' : `is invalid: ${issue.message}`;
    const hint = HINTS[key];
    return `  - ${key} ${problem}${hint ? `: ${hint}` : ''}`;
  });
  return `Invalid environment:\n${lines.join('\n')}`;
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
  databaseUrl ??= appEnv?.DATABASE_URL ?? parse(appSchema.pick({ DATABASE_URL: true }), process.env).DATABASE_URL;
  return databaseUrl;
}

export function getLogLevel(): AppEnv['LOG_LEVEL'] {
  return appEnv?.LOG_LEVEL ?? parse(appSchema.pick({ LOG_LEVEL: true }), process.env).LOG_LEVEL;
}

export function getWebhookSigningSecret(): string {
  webhookSecret ??=
    appEnv?.CLERK_WEBHOOK_SIGNING_SECRET ??
    parse(appSchema.pick({ CLERK_WEBHOOK_SIGNING_SECRET: true }), process.env).CLERK_WEBHOOK_SIGNING_SECRET;
  return webhookSecret;
}

/** The web app's environment, parsed once; throws an `EnvError` that says what to fix. */
export function getAppEnv(): AppEnv {
  appEnv ??= parse(appSchema, process.env);
  return appEnv;
}

/** The scripts' environment: everything optional, with local defaults. */
export function getToolEnv(source: Record<string, string | undefined> = process.env): ToolEnv {
  return parse(toolSchema, source);
}
