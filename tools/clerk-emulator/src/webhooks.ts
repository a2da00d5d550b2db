/**
 * Webhook delivery as Svix does it for Clerk: each change to a user, an
 * organization, a membership, an invitation, a role, a permission, a
 * subscription, a subscription item or a payment attempt becomes an event in Clerk's envelope, signed with the `whsec_` secret (svix-id,
 * svix-timestamp, svix-signature; re-signed on every attempt under the same
 * svix-id), retried with exponential backoff on any non-2xx or network error.
 *
 * For tests it can be told to hold deliveries back, send duplicates, delay,
 * reorder, or drop them (and redeliver later).
 */
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from './contract/contract';
import { clerkId } from './ids';
import type { EmulatorEvent, UserEvent } from './store';

/** The events the emulator sends, typed against the contract's schemas. */
export type EmulatorWebhookEvent = WebhookPayload;
type UserWebhookEvent = WebhookPayload<'user.created' | 'user.updated' | 'user.deleted'>;

export interface DeliverySettings {
  /** Keep new deliveries back until `release()`. */
  hold: boolean;
  /** Extra copies of every delivery (same svix-id), as Svix's at-least-once delivery produces. */
  duplicates: number;
  /** Wait this long before the first attempt; with `reorder`, a random wait up to it. */
  delayMs: number;
  /** Deliver in a shuffled order (on release, or through random delays). */
  reorder: boolean;
  /** Probability (0..1) that a delivery is dropped instead of sent; `redeliver()` sends it later. */
  dropRate: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** Seed for the random choices above, so a chaotic run can be repeated. */
  seed: number;
}

export const DEFAULT_SETTINGS: DeliverySettings = {
  hold: false,
  duplicates: 0,
  delayMs: 0,
  reorder: false,
  dropRate: 0,
  maxAttempts: 8,
  retryBaseMs: 500,
  seed: 1,
};

export type DeliveryStatus = 'held' | 'scheduled' | 'delivered' | 'failed' | 'dropped';

export interface Delivery {
  id: string;
  type: EmulatorWebhookEvent['type'];
  /** The id of the user, organization, membership or invitation the event is about. */
  objectId: string;
  /** The user it concerns: the user, or the member of a membership; null for an organization. */
  userId: string | null;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

const MAX_IN_FLIGHT = 16;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The event in Clerk's envelope, the way Clerk's webhooks carry it. */
export function webhookEvent(event: UserEvent, instanceId: string): UserWebhookEvent;
export function webhookEvent(event: EmulatorEvent, instanceId: string): EmulatorWebhookEvent;
export function webhookEvent(event: EmulatorEvent, instanceId: string): EmulatorWebhookEvent {
  const base = {
    object: 'event' as const,
    timestamp: event.at,
    instance_id: instanceId,
    event_attributes: { http_request: { client_ip: '127.0.0.1', user_agent: 'clerk-emulator' } },
  };
  switch (event.type) {
    case 'user.deleted': {
      const { user } = event;
      return { ...base, type: event.type, data: { object: 'user', id: user.id, deleted: true, ...(user.external_id ? { external_id: user.external_id } : {}) } };
    }
    case 'user.created':
    case 'user.updated':
      return { ...base, type: event.type, data: event.user };
    case 'organization.deleted': {
      const { organization } = event;
      return { ...base, type: event.type, data: { object: 'organization', id: organization.id, slug: organization.slug, deleted: true } };
    }
    case 'organization.created':
    case 'organization.updated':
      return { ...base, type: event.type, data: event.organization };
    case 'organizationInvitation.created':
    case 'organizationInvitation.revoked':
      return { ...base, type: event.type, data: event.invitation };
    case 'organizationInvitation.accepted':
      return { ...base, type: event.type, data: event.invitation };
    case 'role.deleted':
      return { ...base, type: event.type, data: { object: 'role', id: event.role.id, deleted: true } };
    case 'role.created':
    case 'role.updated':
      return { ...base, type: event.type, data: event.role };
    case 'permission.deleted':
      return { ...base, type: event.type, data: { object: 'permission', id: event.permission.id, deleted: true } };
    case 'permission.created':
    case 'permission.updated':
      return { ...base, type: event.type, data: event.permission };
    case 'subscription.created':
    case 'subscription.updated':
    case 'subscription.active':
    case 'subscription.pastDue':
      return { ...base, type: event.type, data: event.subscription };
    case 'subscriptionItem.updated':
    case 'subscriptionItem.active':
    case 'subscriptionItem.canceled':
    case 'subscriptionItem.upcoming':
    case 'subscriptionItem.ended':
    case 'subscriptionItem.abandoned':
    case 'subscriptionItem.incomplete':
    case 'subscriptionItem.pastDue':
    case 'subscriptionItem.freeTrialEnding':
      return { ...base, type: event.type, data: event.item };
    case 'paymentAttempt.created':
    case 'paymentAttempt.updated':
      return { ...base, type: event.type, data: event.paymentAttempt };
    default:
      return { ...base, type: event.type, data: event.membership };
  }
}

/** User events alone (tests/helpers/webhooks.ts builds user deliveries with it). */
export const eventEnvelope: (event: UserEvent, instanceId: string) => UserWebhookEvent = webhookEvent;

/** Which object an event is about, and which user it concerns. */
function subjectOf(event: EmulatorEvent): Pick<Delivery, 'objectId' | 'userId'> {
  if ('user' in event) return { objectId: event.user.id, userId: event.user.id };
  if ('organization' in event) return { objectId: event.organization.id, userId: null };
  // An invitation concerns a user once one has accepted it.
  if ('invitation' in event) return { objectId: event.invitation.id, userId: 'user_id' in event.invitation ? event.invitation.user_id : null };
  // Roles and permissions are the instance's: no user of their own.
  if ('role' in event) return { objectId: event.role.id, userId: null };
  if ('permission' in event) return { objectId: event.permission.id, userId: null };
  // Billing: the payer's user, for a user payer (an organization's fields are empty strings).
  if ('subscription' in event) return { objectId: event.subscription.id, userId: event.subscription.payer.user_id || null };
  if ('item' in event) return { objectId: event.item.id, userId: event.item.payer?.user_id || null };
  if ('paymentAttempt' in event) return { objectId: event.paymentAttempt.id, userId: event.paymentAttempt.payer.user_id || null };
  return { objectId: event.membership.id, userId: event.membership.public_user_data.user_id };
}

export interface DeliveryStats {
  /** HTTP answers by status ("network" for no answer). */
  responses: Record<string, number>;
  first5xxAt: number | null;
  last5xxAt: number | null;
  /** When each 5xx (or unanswered attempt) happened, with its status and svix-id: to tell an outage from a bug, and to follow each refused delivery. */
  failures: { at: number; status: number | 'network'; svixId: string }[];
}

export class WebhookDispatcher {
  readonly deliveries: Delivery[] = [];
  readonly stats: DeliveryStats = { responses: {}, first5xxAt: null, last5xxAt: null, failures: [] };
  /** Several endpoints (app instances behind no load balancer): attempts go round-robin. */
  private endpoints: string[];
  private nextEndpoint = 0;
  private settings: DeliverySettings = { ...DEFAULT_SETTINGS };
  private random = mulberry32(DEFAULT_SETTINGS.seed);
  private readonly signer: Webhook;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    endpoint: string | null,
    secret: string,
    private readonly instanceId: string,
    /** The contract check: false when the payload must not be sent (off-contract, enforced). */
    private readonly mayDeliver: (payload: EmulatorWebhookEvent) => boolean = () => true,
  ) {
    this.signer = new Webhook(secret);
    this.endpoints = WebhookDispatcher.parseEndpoints(endpoint);
  }

  private static parseEndpoints(value: string | null): string[] {
    return (value ?? '').split(',').map((url) => url.trim()).filter(Boolean);
  }

  configure(changes: Partial<DeliverySettings> & { endpoint?: string | null }): DeliverySettings {
    if (changes.endpoint !== undefined) this.endpoints = WebhookDispatcher.parseEndpoints(changes.endpoint);
    const { endpoint: _endpoint, ...rest } = changes;
    this.settings = { ...this.settings, ...rest };
    if (rest.seed !== undefined) this.random = mulberry32(rest.seed);
    return this.settings;
  }

  getSettings(): DeliverySettings & { endpoint: string | null } {
    return { ...this.settings, endpoint: this.endpoints.join(',') || null };
  }

  private record(status: number | 'network', delivery: Delivery): void {
    this.stats.responses[status] = (this.stats.responses[status] ?? 0) + 1;
    if (status === 'network' || status >= 500) {
      const now = Date.now();
      this.stats.first5xxAt ??= now;
      this.stats.last5xxAt = now;
      this.stats.failures.push({ at: now, status, svixId: delivery.id });
    }
  }

  enqueue(event: EmulatorEvent): Delivery {
    const envelope = webhookEvent(event, this.instanceId);
    const delivery: Delivery = {
      id: clerkId('msg'),
      type: envelope.type,
      ...subjectOf(event),
      payload: JSON.stringify(envelope),
      status: 'scheduled',
      attempts: 0,
      lastStatus: null,
      lastError: null,
      createdAt: Date.now(),
      deliveredAt: null,
    };
    this.deliveries.push(delivery);
    if (!this.mayDeliver(envelope)) {
      // Never sent: the test that made the change fails on the missing delivery, and the emulator's close names the drift.
      delivery.status = 'failed';
      delivery.lastError = "off Clerk's contract (GET /_control/contract)";
    } else if (this.settings.dropRate > 0 && this.random() < this.settings.dropRate) {
      delivery.status = 'dropped';
    } else if (this.settings.hold) {
      delivery.status = 'held';
    } else {
      this.schedule(delivery, this.initialDelay());
    }
    return delivery;
  }

  /** Send everything held back, shuffled when `reorder` is on. Returns how many. */
  release(): number {
    const held = this.deliveries.filter((delivery) => delivery.status === 'held');
    const order = this.settings.reorder ? this.shuffle(held) : held;
    for (const delivery of order) this.schedule(delivery, 0);
    return held.length;
  }

  /** Send again the given deliveries, or every dropped and failed one. */
  redeliver(ids?: string[]): number {
    const wanted = ids ? new Set(ids) : null;
    const targets = this.deliveries.filter((delivery) =>
      wanted ? wanted.has(delivery.id) : delivery.status === 'dropped' || delivery.status === 'failed',
    );
    for (const delivery of targets) {
      delivery.attempts = 0;
      this.schedule(delivery, 0);
    }
    return targets.length;
  }

  /** Deliveries not yet settled (scheduled or in flight). */
  pending(): number {
    return this.deliveries.filter((delivery) => delivery.status === 'scheduled').length;
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.deliveries.length = 0;
    Object.assign(this.stats, { responses: {}, first5xxAt: null, last5xxAt: null, failures: [] });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private initialDelay(): number {
    const { delayMs, reorder } = this.settings;
    if (delayMs <= 0) return 0;
    return reorder ? Math.floor(this.random() * delayMs) : delayMs;
  }

  private shuffle<T>(items: T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    delivery.status = 'scheduled';
    const copies = 1 + Math.max(0, this.settings.duplicates);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // Duplicates go out together: the receiver must cope with concurrent copies.
      for (let i = 0; i < copies; i++) void this.attempt(delivery, i === 0);
    }, delayMs);
    this.timers.add(timer);
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private releaseSlot(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  /** One HTTP attempt. Only the primary copy schedules retries and settles the status. */
  private async attempt(delivery: Delivery, primary: boolean): Promise<void> {
    if (this.closed) return;
    const endpoint = this.endpoints[this.nextEndpoint++ % Math.max(1, this.endpoints.length)];
    if (!endpoint) {
      if (primary) {
        delivery.lastError = 'no endpoint configured';
        delivery.status = 'failed';
      }
      return;
    }
    await this.acquire();
    let ok = false;
    try {
      const timestamp = new Date();
      const signature = this.signer.sign(delivery.id, timestamp, delivery.payload);
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'svix-id': delivery.id,
          'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'svix-signature': signature,
          'user-agent': 'Svix-Webhooks/1.0 (clerk-emulator)',
        },
        body: delivery.payload,
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      ok = response.ok;
      this.record(response.status, delivery);
      if (primary) {
        delivery.lastStatus = response.status;
        delivery.lastError = ok ? null : `HTTP ${response.status}`;
      }
    } catch (error) {
      this.record('network', delivery);
      if (primary) {
        delivery.lastStatus = null;
        delivery.lastError = error instanceof Error ? error.message : String(error);
      }
    } finally {
      this.releaseSlot();
    }
    if (!primary || this.closed) return;
    delivery.attempts++;
    if (ok) {
      delivery.status = 'delivered';
      delivery.deliveredAt = Date.now();
    } else if (delivery.attempts >= this.settings.maxAttempts) {
      delivery.status = 'failed';
    } else {
      const backoff = this.settings.retryBaseMs * 2 ** (delivery.attempts - 1);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(delivery, true);
      }, backoff);
      this.timers.add(timer);
    }
  }
}
