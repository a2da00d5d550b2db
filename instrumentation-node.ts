import { getClerkConfig } from '@/modules/auth/src/services/clerk-config';
import { EnvError, getAppEnv } from '@/modules/cores/env/env';
import { getLogger } from '@/modules/cores/logger/logger';

/**
 * A misconfigured environment stops the server at start with a message
 * naming the variable, instead of a 500 on every request later. Running
 * against the Clerk emulator is said once, clearly.
 */
export function verifyEnvironmentAtStartup(): void {
  try {
    getAppEnv();
    if (getClerkConfig().mode === 'emulator') {
      getLogger().warn(
        { clerkEmulatorUrl: getClerkConfig().emulatorUrl },
        'Running against the local Clerk emulator, not Clerk: for development and tests only. Set real Clerk keys to use Clerk.',
      );
    }
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
