import { describe, expect, it } from 'vitest';
import { telemetrySettings } from './telemetry';

describe('telemetrySettings', () => {
  it('is off without any endpoint, so the SDK is never loaded', () => {
    expect(telemetrySettings({})).toBeNull();
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'app' })).toBeNull();
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeNull();
  });

  it('exports both signals to the shared endpoint', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toEqual({ traces: true, metrics: true, serviceName: 'clerk-prisma-next' });
  });

  it('exports only the signal whose own endpoint is set', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toEqual({ traces: true, metrics: false, serviceName: 'clerk-prisma-next' });
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toEqual({ traces: false, metrics: true, serviceName: 'clerk-prisma-next' });
  });

  it('is off when OTEL_SDK_DISABLED is true, whatever the endpoints', () => {
    expect(telemetrySettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBeNull();
    expect(telemetrySettings({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toEqual({ traces: true, metrics: true, serviceName: 'clerk-prisma-next' });
  });

  it('leaves the service name to the SDK when OTEL_SERVICE_NAME gives one', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_SERVICE_NAME: 'shop' })).toEqual({ traces: true, metrics: true });
  });
});
