/**
 * Every script's first import. Scripts see the same `.env*` files as Next.js
 * does (same loader, same precedence), so DATABASE_URL in `.env` means one
 * thing everywhere. And a script that fails says why in a line or two, never
 * with a stack trace: a configuration error with its variable and fix,
 * anything else with its message and cause (DEBUG=1 shows the stack).
 */
import nextEnv from '@next/env';
import { EnvError } from '../../modules/cores/env/env';
import { ROOT } from './paths';

nextEnv.loadEnvConfig(ROOT, process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });

/** An error's message and the cause beneath it (a refused connection says which address). */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const own = error.message || error.name;
  const why = cause ? [cause.code, cause.message].filter(Boolean).join(': ') : '';
  return why && !own.includes(why) ? `${own} (${why})` : own;
}

function fail(error: unknown): never {
  if (error instanceof EnvError) console.error(error.message);
  else console.error(`${describeFailure(error)}${process.env.DEBUG && error instanceof Error ? `\n${error.stack}` : ''}`);
  process.exit(1);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
