/**
 * Which Clerk instance our data came from, and whether the instance our
 * Clerk keys read is that one. The first webhook (its envelope's
 * `instance_id`), the first reconcile or replay (the Backend API's
 * `GET /v1/instance`) records it. Reconcile and replay refuse to run with
 * another instance's keys (`checkKeysInstance`, docs/decisions/009), and no
 * Clerk 404 tombstones a user unless the delivery, our data and the keys
 * are of one instance (`confirmInstanceBeforeTombstone`, docs/decisions/014).
 */
import type { ClerkClient } from '@clerk/backend';
import type { PrismaClient } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import { getLogger } from '@/modules/cores/logger/logger';

export type InstanceSource = 'webhook' | 'reconcile' | 'replay';

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

/** The instance each client's keys read (`GET /v1/instance`), asked once per client and process; a failed answer is asked again. */
const keysInstances = new WeakMap<ClerkClient, Promise<string>>();

export function instanceOfKeys(clerk: ClerkClient): Promise<string> {
  let known = keysInstances.get(clerk);
  if (!known) {
    known = clerk.instance.get().then((instance) => instance.id);
    known.catch(() => keysInstances.delete(clerk));
    keysInstances.set(clerk, known);
  }
  return known;
}

/** Where data that names a user came from: a webhook delivery (the instance its envelope names, if any), or our own keys' Backend API. */
export type DataSource = { kind: 'delivery'; instanceId: string | null } | { kind: 'backend-api' };

/** The instances that must agree do not: nothing may be written on the keys' word. */
export class ClerkInstanceMismatch extends Error {
  override name = 'ClerkInstanceMismatch';
  constructor(
    message: string,
    readonly instances: { keysInstanceId: string; deliveryInstanceId: string | null; dataInstanceId: string | null },
  ) {
    super(message);
  }
}

/**
 * Before Clerk's 404 for `clerkUserId` writes a tombstone, which no later
 * event can undo: the instance the keys read must be the delivery's (its
 * signed envelope's, when it names one) and the one our data came from
 * (recorded; with nothing recorded, the delivery's, recorded now, since its
 * signature proves it). A delivery that names no instance, with nothing
 * recorded, cannot be placed: refused too. Data our keys fetched themselves
 * is of their instance; it must still agree with a recorded one. Costs
 * nothing until a 404: one read, and the keys' instance once per process.
 */
export async function confirmInstanceBeforeTombstone(clerk: ClerkClient, clerkUserId: string, source: DataSource): Promise<void> {
  const keys = await instanceOfKeys(clerk);
  const delivery = source.kind === 'delivery' ? source.instanceId : null;
  let data = (await recordedClerkInstance())?.instanceId ?? null;
  if (!data && delivery) data = await recordClerkInstance(delivery, 'webhook');
  const instances = { keysInstanceId: keys, deliveryInstanceId: delivery, dataInstanceId: data };
  const nothingWritten = 'nothing was written, and the delivery stays failed for replay';
  if (source.kind === 'delivery' && !delivery && !data) {
    throw new ClerkInstanceMismatch(
      `No Clerk instance is recorded for this database and this delivery names none: refusing to tombstone Clerk user ${clerkUserId} on a 404 from instance ${keys}, ` +
        `which CLERK_SECRET_KEY reads, without knowing that the data came from it; ${nothingWritten}. ` +
        'Run `npm run users:reconcile` (it checks our users against that instance, then records it); then `npm run webhooks:replay -- --failed`.',
      instances,
    );
  }
  const differs = [delivery && delivery !== keys ? `this delivery came from instance ${delivery}` : null, data && data !== keys ? `this database follows instance ${data}` : null].filter(Boolean);
  if (differs.length === 0) return;
  const expected = delivery ?? data!;
  throw new ClerkInstanceMismatch(
    `Clerk instance mismatch: CLERK_SECRET_KEY reads instance ${keys}, but ${differs.join(' and ')}. ` +
      `Refusing to tombstone Clerk user ${clerkUserId} on a 404 from ${keys}, which may simply not know them; ${nothingWritten}. ` +
      `Give the app the secret key of instance ${expected} (CLERK_SECRET_KEY, and CLERK_API_URL if set), or, if this database should follow ${keys} from now on, ` +
      `run \`npm run users:reconcile -- --switch-instance=${keys}\`; then \`npm run webhooks:replay -- --failed\`.`,
    instances,
  );
}

/** The tools would not run with these keys, and changed nothing. */
export class ClerkInstanceRefusal extends Error {
  override name = 'ClerkInstanceRefusal';
  constructor(
    message: string,
    readonly reason: 'foreign-instance' | 'unverified-instance' | 'switch-mismatch',
  ) {
    super(message);
  }
}

/** How many of our rows are looked up in Clerk when no instance is recorded yet (the Backend API's limit per call). */
const INSTANCE_SAMPLE = 100;

export interface KeysInstanceOptions {
  /** Check only: record nothing. */
  dryRun?: boolean;
  /** Follow this instance from now on: it must be the one the keys read. */
  switchInstance?: string;
  /** Who records the instance when nothing is recorded yet. */
  recordAs: Exclude<InstanceSource, 'webhook'>;
  /** The last words of a refusal: how to follow the keys' instance for real (`--switch-instance`). */
  switchAdvice(instanceId: string): string;
  /** How the Backend API is called (reconcile's retries and 429 handling); default: directly. */
  call?<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Before reconcile or replay writes anything: the instance the keys read
 * must be the one our data follows. With nothing recorded yet, a sample of
 * our users must exist there (or we hold none); then it is recorded (unless
 * `dryRun`). Answers the keys' instance; throws a `ClerkInstanceRefusal`.
 */
export async function checkKeysInstance(clerk: ClerkClient, options: KeysInstanceOptions): Promise<string> {
  const call = options.call ?? (<T>(fn: () => Promise<T>) => fn());
  const instance = await call(() => clerk.instance.get());
  const recorded = await recordedClerkInstance();
  if (options.switchInstance !== undefined) {
    if (options.switchInstance !== instance.id) {
      throw new ClerkInstanceRefusal(
        `Refusing: --switch-instance names ${options.switchInstance}, but these Clerk keys read instance ${instance.id}. Nothing was changed.`,
        'switch-mismatch',
      );
    }
    if (!options.dryRun && recorded?.instanceId !== instance.id) await switchClerkInstance(instance.id);
    return instance.id;
  }
  if (recorded) {
    if (recorded.instanceId === instance.id) return instance.id;
    throw new ClerkInstanceRefusal(
      `Refusing: these Clerk keys read instance ${instance.id}, but this database follows instance ${recorded.instanceId} ` +
        `(recorded by the first ${recorded.recordedBy} on ${recorded.recordedAt.toISOString()}). Nothing was changed. ` +
        'Check CLERK_SECRET_KEY (and CLERK_API_URL) against DATABASE_URL. If this database really should follow the other instance from now on, ' +
        options.switchAdvice(instance.id),
      'foreign-instance',
    );
  }
  const sample = await getPrisma().$queryRaw<{ clerkId: string }[]>`SELECT "clerkId" FROM "User" ORDER BY random() LIMIT ${INSTANCE_SAMPLE}::int`;
  if (sample.length > 0) {
    const found = await call(() => clerk.users.getUserList({ userId: sample.map((row) => row.clerkId), limit: INSTANCE_SAMPLE }));
    if (found.data.length === 0) {
      throw new ClerkInstanceRefusal(
        `Refusing: no Clerk instance is recorded for this database yet, and none of ${sample.length} of its users exist in instance ${instance.id}, ` +
          'which these keys read: it looks like another instance than the one the data came from. Nothing was changed. ' +
          'Check CLERK_SECRET_KEY (and CLERK_API_URL) against DATABASE_URL. If this database really should follow this instance, ' +
          options.switchAdvice(instance.id),
        'unverified-instance',
      );
    }
  }
  if (!options.dryRun) await recordClerkInstance(instance.id, options.recordAs);
  return instance.id;
}
