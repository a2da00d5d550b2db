/** A typed client for the emulator's control API and its sign-up form, for tests. */
import type { UserJSON } from '@clerk/backend';
import type { DeliverySettings } from '../../tools/clerk-emulator/src/webhooks';

export interface DeliveryRecord {
  id: string;
  type: string;
  userId: string;
  status: 'held' | 'scheduled' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  lastStatus: number | null;
}

export class EmulatorControl {
  constructor(
    readonly url: string,
    private readonly secretKey: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  configureWebhooks(settings: Partial<DeliverySettings>) {
    return this.call<DeliverySettings>('PUT', '/_control/webhooks', settings);
  }

  releaseWebhooks() {
    return this.call<{ released: number }>('POST', '/_control/webhooks/release', {});
  }

  deliveries() {
    return this.call<DeliveryRecord[]>('GET', '/_control/webhooks/deliveries');
  }

  /** Wait until no delivery is held, scheduled or in flight. */
  async settleWebhooks(timeoutMs = 20_000): Promise<DeliveryRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const deliveries = await this.deliveries();
      if (deliveries.every((delivery) => delivery.status !== 'scheduled')) return deliveries;
      if (Date.now() > deadline) throw new Error(`webhooks did not settle: ${JSON.stringify(deliveries)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The cookies a browser would hold after signing in as this user. */
  signIn(userId: string) {
    return this.call<{ sessionId: string; token: string; cookies: string[] }>('POST', '/_control/sessions', { userId });
  }

  mintToken(claims: { sub: string; sid?: string; azp?: string; ttlSeconds?: number; issuedAt?: number }) {
    return this.call<{ token: string }>('POST', '/_control/tokens', claims);
  }

  /** Create a user through the Backend API, as Clerk's dashboard or SDK would. */
  async createUser(input: { email: string; firstName?: string; lastName?: string }): Promise<UserJSON> {
    const response = await fetch(`${this.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.secretKey}` },
      body: JSON.stringify({ email_address: [input.email], first_name: input.firstName, last_name: input.lastName }),
    });
    if (!response.ok) throw new Error(`create user: ${response.status} ${await response.text()}`);
    return (await response.json()) as UserJSON;
  }
}
