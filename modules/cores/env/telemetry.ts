/**
 * Whether this process exports traces and metrics, from the standard
 * OpenTelemetry variables alone, decided without loading the SDK: with none
 * of them set, the SDK is never imported and the app's calls go to
 * `@opentelemetry/api`'s no-op (docs/decisions/026).
 */

export interface TelemetrySettings {
  traces: boolean;
  metrics: boolean;
  /** The service's name, unless OTEL_SERVICE_NAME gives one (the SDK reads it). */
  serviceName?: string;
}

const DEFAULT_SERVICE_NAME = 'clerk-prisma-next';

const set = (value: string | undefined) => value !== undefined && value.trim() !== '';

/** Null: nothing to export (no endpoint, or `OTEL_SDK_DISABLED=true`). */
export function telemetrySettings(env: Record<string, string | undefined> = process.env): TelemetrySettings | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const shared = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const settings = { traces: shared || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), metrics: shared || set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) };
  if (!settings.traces && !settings.metrics) return null;
  return set(env.OTEL_SERVICE_NAME) ? settings : { ...settings, serviceName: DEFAULT_SERVICE_NAME };
}

/**
 * Next's own fetch spans name the full URL (Clerk ids, query strings): the
 * fetch instrumentation's spans, with cleaned URLs, replace them.
 */
export function hideNextFetchSpans(): void {
  process.env.NEXT_OTEL_FETCH_DISABLED ??= '1';
}

