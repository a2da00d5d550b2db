import { getClerkConfig } from '@/modules/cores/clerk/clerk-config';
import { pruneExpiredData } from '@/modules/clerk-sync/src/engine/data-retention.service';
import { type AppEnv, EnvError, getAppEnv, type RetentionSettings } from '@/modules/cores/env/env';
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

/** The clock the schedule runs on: the process's own, unless a test gives another. */
export interface PruneTimers {
  /** Call `run` once after `ms`; never keeps the process alive. */
  after(ms: number, run: () => void): void;
  /** A number in [0, 1): the jitter. */
  random(): number;
}

const processTimers: PruneTimers = {
  after: (ms, run) => void setTimeout(run, ms).unref(),
  random: Math.random,
};

/**
 * Each instance prunes expired data now and then (docs/decisions/008): the
 * first run 30 to 90 s after start, then every interval ± 10%, so that
 * instances spread out; a failed run is logged and the next one tries again.
 * Hosts without long-lived processes run `npm run data:prune` instead
 * (DATA_PRUNE_INTERVAL_MINUTES=0: nothing scheduled).
 */
export function schedulePruning(
  settings: Pick<AppEnv, 'DATA_PRUNE_INTERVAL_MINUTES'> & RetentionSettings = getAppEnv(),
  timers: PruneTimers = processTimers,
): void {
  const intervalMs = settings.DATA_PRUNE_INTERVAL_MINUTES * 60_000;
  if (intervalMs === 0) return;
  const log = getLogger().child({ component: 'data-prune' });
  const run = async () => {
    try {
      const summary = await pruneExpiredData(settings);
      if (Object.values(summary).some((count) => count > 0)) log.info(summary, 'pruned expired data');
    } catch (error) {
      log.warn({ err: error }, 'pruning expired data failed; the next run tries again');
    }
  };
  const next = () => timers.after(intervalMs * (0.9 + timers.random() * 0.2), () => void run().finally(next));
  const firstMs = 60_000 * (0.5 + timers.random());
  timers.after(firstMs, () => void run().finally(next));
  log.info({ firstRunInSeconds: Math.round(firstMs / 1000), intervalMinutes: settings.DATA_PRUNE_INTERVAL_MINUTES }, 'data pruning scheduled');
}
