/**
 * The app's spans and metrics, through `@opentelemetry/api` only. Without a
 * registered SDK (no OTLP endpoint set, docs/decisions/026) every call here
 * lands on the API's no-op: no span is recorded, no value kept.
 *
 * Attributes are ids of deliveries, event types, outcomes and names of our
 * own (an action, a limit): never an email, a name, or a Clerk id.
 */
import { type Attributes, type MeterProvider, metrics, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

const SCOPE = 'clerk-prisma-next';

/**
 * `run` inside a span named `name`, the active one meanwhile (so Prisma's and
 * the HTTP client's spans nest under it); `run` may be async. A throw marks
 * the span as an error by the error's class only: messages can carry
 * personal data.
 */
export function inSpan<T>(name: string, attributes: Attributes, run: (span: Span) => T): T {
  return trace.getTracer(SCOPE).startActiveSpan(name, { attributes }, (span) => {
    const fail = (error: unknown): never => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'non-error thrown' });
      span.end();
      throw error;
    };
    let result: T;
    try {
      result = run(span);
    } catch (error) {
      return fail(error);
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then((value: unknown) => {
      span.end();
      return value;
    }, fail) as T;
  });
}

/** Seconds, from a webhook that came at once to one a day late (Svix retries for about three days). */
const LAG_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

function createInstruments() {
  const meter = metrics.getMeter(SCOPE);
  return {
    deliveries: meter.createCounter('clerk.webhook.deliveries', {
      description: 'Clerk webhook deliveries answered, by event type and outcome (applied, duplicate, stale, ignored, rejected, failed).',
    }),
    unavailable: meter.createCounter('clerk.webhook.unavailable', {
      description: 'Webhook deliveries answered 503 (Svix retries them), by reason: database, clerk, clerk-instance-mismatch.',
    }),
    lag: meter.createHistogram('clerk.sync.lag', {
      description: "From the event's time at Clerk to its change applied here.",
      unit: 's',
      advice: { explicitBucketBoundaries: LAG_BUCKETS_SECONDS },
    }),
    provisioning: meter.createCounter('clerk.provisioning.calls', {
      description: 'Backend API calls made to provision what a webhook has not brought yet, by object (user, membership, roles, plans) and result.',
    }),
    driftFound: meter.createCounter('clerk.reconcile.drift.found', { description: 'Differences reconcile found between Clerk and our rows, by kind and change.' }),
    driftFixed: meter.createCounter('clerk.reconcile.drift.fixed', { description: 'Differences reconcile fixed (none in a dry run), by kind and change.' }),
    rateLimited: meter.createCounter('app.rate_limit.refusals', { description: 'Attempts a rate limit refused, by limit.' }),
  };
}

let instruments: { provider: MeterProvider; made: ReturnType<typeof createInstruments> } | undefined;

/**
 * The instruments of the registered meter provider, made at its first use:
 * the API has no deferred meter, so instruments made before the SDK
 * registers would stay no-ops. Next.js runs `instrumentation.ts` before any
 * request and scripts start the SDK first; a provider registered later (a
 * test's) gets instruments of its own.
 */
export function appMetrics(): ReturnType<typeof createInstruments> {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider !== provider) instruments = { provider, made: createInstruments() };
  return instruments.made;
}

/** `clerk.provisioning.calls`' result for what a Backend API call ended in. */
export function countProvisioning<T>(object: 'user' | 'membership' | 'roles' | 'plans', call: () => Promise<T>, found: (value: T) => boolean = () => true): Promise<T> {
  return inSpan(`provision ${object}`, { 'app.provision.object': object }, async (span) => {
    let result = 'error';
    try {
      const value = await call();
      result = found(value) ? 'found' : 'not_found';
      span.setAttribute('app.provision.result', result);
      return value;
    } finally {
      appMetrics().provisioning.add(1, { object, result });
    }
  });
}
