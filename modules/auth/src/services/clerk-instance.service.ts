/**
 * Which Clerk instance our data came from. The first webhook (its envelope's
 * `instance_id`) or the first reconcile (the Backend API's `GET /v1/instance`)
 * records it; reconcile refuses to delete anything on the word of another
 * instance (docs/decisions/009).
 */
import type { PrismaClient } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import { getLogger } from '@/modules/cores/logger/logger';

export type InstanceSource = 'webhook' | 'reconcile';

export interface RecordedInstance {
  instanceId: string;
  recordedAt: Date;
  recordedBy: string;
}

/** Record `instanceId` unless one is recorded already; returns the recorded one (ours or the earlier). */
export async function recordClerkInstance(instanceId: string, by: InstanceSource, client: Pick<PrismaClient, '$queryRaw'> = getPrisma()): Promise<string> {
  const rows = await client.$queryRaw<{ instanceId: string }[]>`
    WITH inserted AS (
      INSERT INTO "ClerkInstance" ("slot", "instanceId", "recordedAt", "recordedBy") VALUES ('current', ${instanceId}, ${utcNow}, ${by})
      ON CONFLICT ("slot") DO NOTHING RETURNING "instanceId")
    SELECT "instanceId" FROM inserted UNION ALL SELECT "instanceId" FROM "ClerkInstance" WHERE "slot" = 'current'`;
  return rows[0]!.instanceId;
}

export async function recordedClerkInstance(): Promise<RecordedInstance | null> {
  return getPrisma().clerkInstance.findUnique({ where: { slot: 'current' }, select: { instanceId: true, recordedAt: true, recordedBy: true } });
}

/** Follow another instance from now on (an operator's explicit choice: `users:reconcile -- --switch-instance`). */
export async function switchClerkInstance(instanceId: string): Promise<void> {
  await getPrisma().$executeRaw`
    INSERT INTO "ClerkInstance" ("slot", "instanceId", "recordedAt", "recordedBy") VALUES ('current', ${instanceId}, ${utcNow}, 'reconcile')
    ON CONFLICT ("slot") DO UPDATE SET "instanceId" = EXCLUDED."instanceId", "recordedAt" = EXCLUDED."recordedAt", "recordedBy" = EXCLUDED."recordedBy"`;
}

/** Per process: the instance id already recorded or checked, so that only the first delivery pays for it. */
let checked: string | undefined;

/** After a webhook: record its instance the first time; say so once if the database follows another. */
export async function rememberClerkInstance(instanceId: string, by: InstanceSource): Promise<void> {
  if (checked === instanceId) return;
  try {
    const recorded = await recordClerkInstance(instanceId, by);
    checked = instanceId;
    if (recorded !== instanceId) {
      getLogger().warn(
        { component: 'clerk-instance', instanceId, recordedInstanceId: recorded },
        'a webhook came from another Clerk instance than the one this database follows; users:reconcile will refuse to run until you choose (see docs/deploy.md)',
      );
    }
  } catch {
    // Not worth failing a processed delivery for: the next one records it.
  }
}
