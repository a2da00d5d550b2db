import { EnvError, getAppEnv } from '@/modules/cores/env/env';

/**
 * A misconfigured environment stops the server at start with a message
 * naming the variable, instead of a 500 on every request later.
 */
export function verifyEnvironmentAtStartup(): void {
  try {
    getAppEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
