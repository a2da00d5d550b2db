/**
 * The Clerk keys a script uses (users:reconcile, webhooks:replay): real keys
 * from the environment; else the emulator of the running `npm run dev` (its
 * keys kept in .data), only with that stack's database: never guessed keys
 * for a database named by DATABASE_URL, which may be a real one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getToolEnv } from '../../modules/cores/env/env';
import { runningDevStack } from './dev-stack';
import { DATA_DIR } from './paths';

export interface ScriptClerkKeys {
  secretKey: string;
  apiUrl?: string;
  /** Which Clerk this is, for people. */
  description: string;
}

/** The script cannot pick keys: the message says what to set. */
export class ClerkKeysMissing extends Error {
  override name = 'ClerkKeysMissing';
}

/** `task` completes "set CLERK_SECRET_KEY and DATABASE_URL to … your Clerk instance" (e.g. "reconcile with"). */
export async function scriptClerkKeys(task: string): Promise<ScriptClerkKeys> {
  const env = getToolEnv();
  if (env.CLERK_SECRET_KEY) return { secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL, description: `the Clerk instance of CLERK_SECRET_KEY${env.CLERK_API_URL ? ` at ${env.CLERK_API_URL}` : ''}` };
  if (env.DATABASE_URL) {
    throw new ClerkKeysMissing('DATABASE_URL is set but CLERK_SECRET_KEY is not: set the secret key of the Clerk instance this database follows (and CLERK_API_URL for an emulator).');
  }
  const stack = runningDevStack();
  if (!stack?.emulator) {
    throw new ClerkKeysMissing(
      stack
        ? `The running ${stack.command} (pid ${stack.pid}) uses real Clerk keys: set CLERK_SECRET_KEY to ${task} that instance.`
        : `No Clerk keys and no running \`npm run dev\` for this checkout: set CLERK_SECRET_KEY and DATABASE_URL to ${task} your Clerk instance, or start \`npm run dev\` and run this again to ${task} its emulator.`,
    );
  }
  const keys = await readFile(path.join(DATA_DIR, 'clerk-emulator', 'keys.json'), 'utf8').then(
    (text) => JSON.parse(text) as { secretKey: string },
    () => {
      throw new ClerkKeysMissing(`The emulator's keys are missing from .data/clerk-emulator although ${stack.command} runs: restart it.`);
    },
  );
  return { secretKey: keys.secretKey, apiUrl: stack.emulator.url, description: `the local Clerk emulator of the running ${stack.command} (pid ${stack.pid}) at ${stack.emulator.url}` };
}
