/**
 * A 404 from the wrong Clerk instance must not tombstone anyone
 * (docs/decisions/014). Two emulators are two Clerk instances, each with its
 * own keys, signing secret and instance id: the app runs with instance A's
 * webhook signing secret and instance B's secret key, as a deployment that
 * mixed up two instances' settings would, and `npm run webhooks:replay` is
 * run with the other instance's keys. A membership for a user we do not
 * hold makes the sync fetch that user; B has never heard of them.
 */
import { spawn } from 'node:child_process';
import type { UserJSON } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { ROOT } from '../../scripts/lib/paths';
import { EmulatorControl } from '../helpers/emulator-control';
import { membershipDelivery, newClerkOrganization, newMembership } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';
import { post } from '../helpers/webhooks';

/** The instance whose webhooks reach the app (its signing secret is the app's). */
let a: EmulatorProcess;
/** The app's own emulator: its secret key is the app's CLERK_SECRET_KEY. */
let stack: Stack;

beforeAll(async () => {
  a = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 300, allowPersonalAccounts: true, output: 'pipe' });
  stack = await startStack({ env: { CLERK_WEBHOOK_SIGNING_SECRET: a.webhookSecret } });
});
afterAll(async () => {
  await stack?.stop();
  await a?.stop();
});

/** The command as the README writes it, without blocking this process (the emulators answer from here). */
function replay(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'webhooks:replay', '--', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function nothingWrittenFor(user: UserJSON, organizationId: string) {
  expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: user.id } })).toBeNull();
  expect(await prisma().user.findUnique({ where: { clerkId: user.id } })).toBeNull();
  expect(await prisma().membership.count({ where: { organization: { clerkId: organizationId } } })).toBe(0);
}

describe('a membership for a user we do not hold, with the keys of another instance', () => {
  it('answers 503 and writes nothing, logs both instances, and replays once the keys are right', async () => {
    const control = new EmulatorControl(a.url, a.secretKey, a.controlToken);
    const ada = await control.createUser({ email: 'ada@example.com', firstName: 'Ada' });
    const organization = newClerkOrganization();
    const d = membershipDelivery('organizationMembership.created', newMembership(organization, ada, 'org:member'), undefined, a.instanceId);

    const before = await stack.control.backendApiCalls();
    const response = await post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: a.webhookSecret });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('300');
    expect(await response.json()).toEqual({ error: 'Clerk instance mismatch: see the logs' });
    await nothingWrittenFor(ada, organization.id);
    // Kept, failed and unprocessed, for replay after the fix; the instance it came from is the one the data follows.
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({
      outcome: 'failed',
      processedAt: null,
      payload: expect.objectContaining({ type: 'organizationMembership.created', instance_id: a.instanceId }),
    });
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: a.instanceId });
    const b = stack.emulator.instanceId;
    const message =
      `Clerk instance mismatch: CLERK_SECRET_KEY reads instance ${b}, but this delivery came from instance ${a.instanceId} and this database follows instance ${a.instanceId}. ` +
      `Refusing to tombstone Clerk user ${ada.id} on a 404 from ${b}, which may simply not know them; nothing was written, and the delivery stays failed for replay. ` +
      `Give the app the secret key of instance ${a.instanceId} (CLERK_SECRET_KEY, and CLERK_API_URL if set), or, if this database should follow ${b} from now on, ` +
      `run \`npm run users:reconcile -- --switch-instance=${b}\`; then \`npm run webhooks:replay -- --failed\`.`;
    await expect.poll(() => stack.app.output(), { timeout: 10_000 }).toContain(JSON.stringify(message));
    const line = JSON.parse(stack.app.output().split('\n').find((text) => text.includes(JSON.stringify(message)))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 50, svixId: d.svixId, status: 503, keysInstanceId: b, deliveryInstanceId: a.instanceId, dataInstanceId: a.instanceId });
    // Svix tries again: the same answer, still nothing written; the keys' instance was asked once for the process.
    expect((await post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: a.webhookSecret })).status).toBe(503);
    await nothingWrittenFor(ada, organization.id);
    const after = await stack.control.backendApiCalls();
    const calls = (route: string) => (after.byRoute[route] ?? 0) - (before.byRoute[route] ?? 0);
    expect([calls('GET /v1/users/:id'), calls('GET /v1/instance')]).toEqual([2, 1]);

    // Replayed with the wrong instance's keys: refused before anything is processed.
    const base = { DATABASE_URL: process.env.DATABASE_URL! };
    const wrong = await replay(['--failed'], { ...base, CLERK_SECRET_KEY: stack.emulator.secretKey, CLERK_API_URL: stack.emulator.url });
    expect(wrong.stderr).toContain(
      `Refusing: these Clerk keys read instance ${b}, but this database follows instance ${a.instanceId} (recorded by the first webhook on `,
    );
    expect(wrong.stderr).toContain(`run \`npm run users:reconcile -- --switch-instance=${b}\` first, then replay again.`);
    expect(wrong.stdout).not.toContain(d.svixId);
    expect(wrong.status).toBe(2);
    await nothingWrittenFor(ada, organization.id);
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null });

    // With the keys of the instance the delivery came from: the user is fetched from it, and the membership lands.
    const right = await replay(['--failed'], { ...base, CLERK_SECRET_KEY: a.secretKey, CLERK_API_URL: a.url });
    expect(right.stdout).toContain(`${d.svixId} organizationMembership.created: applied`);
    expect(right.status).toBe(0);
    expect(await prisma().user.findUnique({ where: { clerkId: ada.id } })).toMatchObject({ email: 'ada@example.com' });
    expect(await prisma().membership.count({ where: { organization: { clerkId: organization.id }, user: { clerkId: ada.id } } })).toBe(1);
  }, 120_000);
});
