/**
 * Runs once when a Next.js server starts. The Node-only part lives in its own
 * module so the Edge bundle never sees it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { schedulePruning, verifyEnvironmentAtStartup } = await import('./instrumentation-node');
    verifyEnvironmentAtStartup();
    schedulePruning();
  }
}
