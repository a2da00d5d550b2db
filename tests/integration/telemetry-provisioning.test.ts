/**
 * Two more of the app's metrics, recorded in this process and read back
 * exactly (tests/helpers/in-memory-telemetry.ts): `clerk.provisioning.calls`
 * for a user fetched from Clerk's Backend API (the emulator) because no
 * webhook had brought them, found or not, and `app.rate_limit.refusals` by
 * the limit that refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runAuthedAction } from '@/modules/auth/src/services/authed-action';
import { provisionUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { success } from '@/modules/cores/actions/action-state';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { createUser } from '../helpers/factories';
import { type InMemoryTelemetry, startInMemoryTelemetry } from '../helpers/in-memory-telemetry';
import { memoryLogger } from '../helpers/memory-logger';

const emulated = emulatorAsAppsClerk();
memoryLogger();
let telemetry: InMemoryTelemetry;
beforeAll(() => {
  telemetry = startInMemoryTelemetry();
});
afterAll(async () => {
  await telemetry?.stop();
});
beforeEach(async () => {
  await telemetry.reset();
});

describe('clerk.provisioning.calls', () => {
  it('counts one call by object and result: a user Clerk has is found, one it does not is not found', async () => {
    const known = await emulated.clerk.users.createUser({ emailAddress: [`provisioned-${Date.now()}@example.com`], firstName: 'Ada' });
    expect(await provisionUserFromClerk(known.id)).toMatchObject({ clerkId: known.id });
    expect((await telemetry.readMetrics()).sum('clerk.provisioning.calls')).toEqual([{ attributes: { object: 'user', result: 'found' }, value: 1 }]);

    expect(await provisionUserFromClerk('user_nobodyatall0000000000000')).toBeNull();
    expect((await telemetry.readMetrics()).sum('clerk.provisioning.calls')).toEqual([{ attributes: { object: 'user', result: 'not_found' }, value: 1 }]);
    expect(telemetry.spans().filter((span) => span.name === 'provision user').map((span) => span.attributes)).toEqual([
      { 'app.provision.object': 'user', 'app.provision.result': 'found' },
      { 'app.provision.object': 'user', 'app.provision.result': 'not_found' },
    ]);
  });
});

describe('app.rate_limit.refusals', () => {
  it('counts each attempt a limit refused, by the limit, and none it allowed', async () => {
    const user = await createUser();
    const spec = { schema: z.object({}), limit: { action: 'telemetry.limited', max: 2, windowSeconds: 60, message: 'Slow down.' } };
    const states = [];
    for (let i = 0; i < 5; i++) states.push(await runAuthedAction(spec, async () => success('Done.'), user, new FormData()));
    expect(states.map((state) => state.status)).toEqual(['success', 'success', 'error', 'error', 'error']);
    expect((await telemetry.readMetrics()).sum('app.rate_limit.refusals')).toEqual([{ attributes: { limit: 'telemetry.limited' }, value: 3 }]);
  });
});
