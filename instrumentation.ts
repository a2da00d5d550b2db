/**
 * Runs once when a Next.js server starts. The Node-only part lives in its own
 * module so the Edge bundle never sees it. The OpenTelemetry SDK starts first
 * (before any request), and only when an OTLP endpoint is set: otherwise it
 * is not even loaded (docs/decisions/026).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { telemetrySettings } = await import('./modules/cores/env/telemetry');
    const telemetry = telemetrySettings();
    if (telemetry) (await import('./modules/cores/telemetry/otel-sdk')).startTelemetry(telemetry);
    const { schedulePruning, verifyEnvironmentAtStartup } = await import('./instrumentation-node');
    verifyEnvironmentAtStartup();
    schedulePruning();
  }
}
