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

/** Variables the web app needs at run time. */
const appSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: postgresUrl,
  LOG_LEVEL: logLevel.default('info'),
});

/** Variables the scripts in `scripts/` and the test setup read. */
const toolSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  TEST_DATABASE_URL: postgresUrl.optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54320),
  LOG_LEVEL: logLevel.default('info'),
  CI: z.string().optional(),
});

export type AppEnv = z.infer<typeof appSchema>;
export type ToolEnv = z.infer<typeof toolSchema>;

/** What to do about each variable when it is missing or wrong. */
const HINTS: Record<string, string> = {
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

/** The web app's environment, parsed once; throws an `EnvError` that says what to fix. */
export function getAppEnv(): AppEnv {
  appEnv ??= parse(appSchema, process.env);
  return appEnv;
}

/** The scripts' environment: everything optional, with local defaults. */
export function getToolEnv(source: Record<string, string | undefined> = process.env): ToolEnv {
  return parse(toolSchema, source);
}
