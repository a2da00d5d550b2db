import { getClerkConfig } from '@/modules/auth/src/services/clerk-config';
import { pruneExpiredData } from '@/modules/auth/src/services/data-retention.service';
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

/**
 * Each instance prunes expired data now and then (docs/decisions/008), a
 * little after start and at a jittered interval so that instances spread
 * out. Hosts without long-lived processes run `npm run data:prune` instead.
 */
export function schedulePruning(): void {
  const env = getAppEnv();
  const intervalMs = env.DATA_PRUNE_INTERVAL_MINUTES * 60_000;
  if (intervalMs === 0) return;
  const log = getLogger().child({ component: 'data-prune' });
  const run = async () => {
    try {
      const summary = await pruneExpiredData(env);
      if (Object.values(summary).some((count) => count > 0)) log.info(summary, 'pruned expired data');
    } catch (error) {
      log.warn({ err: error }, 'pruning expired data failed; the next run tries again');
    }
  };
  const next = () => setTimeout(() => void run().finally(next), intervalMs * (0.9 + Math.random() * 0.2)).unref();
  setTimeout(() => void run().finally(next), 60_000 * (0.5 + Math.random())).unref();
}
