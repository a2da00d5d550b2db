/**
 * The OpenTelemetry Node SDK, loaded only when an OTLP endpoint is set
 * (modules/cores/env/telemetry.ts): traces and metrics exported as the standard
 * variables say (endpoint, protocol, headers, service name, sampler), with
 * the instrumentation of Prisma's queries and of Node's fetch (Clerk's
 * Backend API calls). Next.js adds its own request and render spans once a
 * tracer is registered. docs/decisions/026.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { hideNextFetchSpans, type TelemetrySettings } from '@/modules/cores/env/telemetry';
import { urlWithoutIds } from './span-urls';

export interface RunningTelemetry {
  /** Exports what is pending and stops: a script calls it before it exits. */
  shutdown(): Promise<void>;
}

export function startTelemetry(settings: TelemetrySettings): RunningTelemetry {
  hideNextFetchSpans();
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    instrumentations: [
      new PrismaInstrumentation(),
      new UndiciInstrumentation({
        requestHook: (span, request) => {
          const url = urlWithoutIds(`${request.origin}${request.path}`);
          span.setAttributes({ 'url.full': url.full, 'url.path': url.path, 'url.query': '' });
        },
      }),
    ],
    // Logs stay with pino (stdout, one JSON line each): no OTLP log exporter.
    logRecordProcessors: [],
    // A signal without an endpoint is not exported (an empty list: that part of the SDK is not set up).
    ...(settings.traces ? {} : { spanProcessors: [] }),
    ...(settings.metrics ? {} : { metricReaders: [] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
