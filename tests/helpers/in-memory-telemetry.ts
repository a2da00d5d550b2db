/**
 * The OpenTelemetry SDK in this test process, recording to memory: what the
 * app's in-process code (the webhook endpoint, the sync, the action wrapper)
 * traces and counts, read back at once and exactly. The same SDK as the
 * app's (`@opentelemetry/sdk-node`), with no instrumentation and no export;
 * tests of the real export over OTLP run `next start` against
 * tests/helpers/otlp-receiver.ts.
 */
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

/** Collects on demand, each collection what was recorded since the last one. */
class DeltaReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface CounterPoint {
  attributes: Attributes;
  value: number;
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  min: number | undefined;
  max: number | undefined;
}

/** What the metrics recorded since the last read (or the start), by instrument name. */
export interface MetricsRead {
  sum(name: string): CounterPoint[];
  histogram(name: string): HistogramPoint[];
}

export interface InMemoryTelemetry {
  /** The spans ended since the last `reset`, in the order they ended. */
  spans(): ReadableSpan[];
  /** Forget the spans, and what the metrics recorded so far. */
  reset(): Promise<void>;
  /** What the metrics recorded since the last read or reset (points with no measurement left out). */
  readMetrics(): Promise<MetricsRead>;
  stop(): Promise<void>;
}

export function startInMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new DeltaReader();
  const sdk = new NodeSDK({ serviceName: 'test', instrumentations: [], spanProcessors: [new SimpleSpanProcessor({ exporter })], metricReaders: [reader], logRecordProcessors: [] });
  sdk.start();
  const readMetrics = async (): Promise<MetricsRead> => {
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const points = (name: string) => all.filter((metric) => metric.descriptor.name === name);
    return {
      sum: (name) =>
        points(name).flatMap((metric) => (metric.dataPointType === DataPointType.SUM ? metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })) : [])).filter((p) => p.value !== 0),
      histogram: (name) =>
        points(name)
          .flatMap((metric) => (metric.dataPointType === DataPointType.HISTOGRAM ? metric.dataPoints.map((p) => ({ attributes: p.attributes, count: p.value.count, min: p.value.min, max: p.value.max })) : []))
          .filter((p) => p.count !== 0),
    };
  };
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: async () => {
      exporter.reset();
      await reader.collect();
    },
    readMetrics,
    stop: () => sdk.shutdown(),
  };
}

/** The spans from `span` up to the first one whose parent is not among `spans`. */
export function ancestry(spans: ReadableSpan[], span: ReadableSpan): ReadableSpan[] {
  const chain = [span];
  for (let parent = spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId); parent; parent = spans.find((s) => s.spanContext().spanId === parent!.parentSpanContext?.spanId)) chain.push(parent);
  return chain;
}
