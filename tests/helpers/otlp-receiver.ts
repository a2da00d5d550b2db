/**
 * An OTLP/HTTP collector in the test process: the app exports to it with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` (the SDK's own JSON encoding of
 * the OTLP protos), and tests read back the spans and the latest metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };
export type Attributes = Record<string, string | number | boolean>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Attributes;
}

export interface SumPoint {
  attributes: Attributes;
  value: number;
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
  min?: number;
  max?: number;
  bucketCounts: number[];
  explicitBounds: number[];
}

interface OtlpMetric {
  name: string;
  sum?: { dataPoints: { attributes?: KeyValue[]; asInt?: number | string; asDouble?: number }[] };
  histogram?: { dataPoints: { attributes?: KeyValue[]; count: number | string; sum?: number; min?: number; max?: number; bucketCounts?: (number | string)[]; explicitBounds?: number[] }[] };
}

const valueOf = (value: AnyValue): string | number | boolean =>
  value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue ?? '';
const attributesOf = (list: KeyValue[] = []): Attributes => Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** The app's environment to export here, quickly (tests wait for exports, never for a fixed time). */
  appEnv: Record<string, string>;
  spans(): ReceivedSpan[];
  /** A trace's spans. */
  trace(traceId: string): ReceivedSpan[];
  /** A counter's points in the latest export that has it (cumulative: totals since start); none before it is exported. */
  sum(name: string): SumPoint[];
  histogram(name: string): HistogramPoint[];
  stop(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const latestMetrics = new Map<string, OtlpMetric>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      if (request.url === '/v1/traces') {
        for (const resource of (body.resourceSpans ?? []) as { scopeSpans: { spans: (Omit<ReceivedSpan, 'attributes'> & { attributes?: KeyValue[] })[] }[] }[])
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, attributes: attributesOf(span.attributes) });
      } else if (request.url === '/v1/metrics') {
        for (const resource of (body.resourceMetrics ?? []) as { scopeMetrics: { metrics: OtlpMetric[] }[] }[])
          for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) latestMetrics.set(metric.name, metric);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    appEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'clerk-prisma-next-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_METRIC_EXPORT_TIMEOUT: '300',
    },
    spans: () => [...spans],
    trace: (traceId) => spans.filter((span) => span.traceId === traceId),
    sum: (name) => (latestMetrics.get(name)?.sum?.dataPoints ?? []).map((point) => ({ attributes: attributesOf(point.attributes), value: Number(point.asInt ?? point.asDouble ?? 0) })),
    histogram: (name) =>
      (latestMetrics.get(name)?.histogram?.dataPoints ?? []).map((point) => ({
        attributes: attributesOf(point.attributes),
        count: Number(point.count),
        sum: point.sum ?? 0,
        min: point.min,
        max: point.max,
        bucketCounts: (point.bucketCounts ?? []).map(Number),
        explicitBounds: point.explicitBounds ?? [],
      })),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
