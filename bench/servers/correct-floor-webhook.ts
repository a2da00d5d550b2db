/**
 * The correct floor: what a bare receiver must do to be as correct as ours,
 * with nothing else. `node:http`, the same signature check, then in one
 * transaction through `pg`: claim the svix-id in the ledger (a processed
 * copy is a duplicate), the per-user advisory lock, the tombstone check, the
 * upsert ordered by Clerk's `updated_at`, the ledger marked processed. One
 * log line per delivery at info, as ours writes. No framework, no ORM, no
 * validation beyond what the SQL needs.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';

const [port, databaseUrl, secret] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const webhook = new Webhook(secret);
const log = pino();

interface Evt {
  type: string;
  data: { id: string; primary_email_address_id: string | null; email_addresses: { id: string; email_address: string }[]; first_name: string | null; last_name: string | null; updated_at: number };
}

async function apply(svixId: string, evt: Evt): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query(
      `INSERT INTO "WebhookDelivery" ("svixId", type, "clerkUserId", "receivedAt", outcome) VALUES ($1, $2, $3, now(), 'processing')
       ON CONFLICT ("svixId") DO UPDATE SET attempts = "WebhookDelivery".attempts + 1 WHERE "WebhookDelivery"."processedAt" IS NULL RETURNING 1`,
      [svixId, evt.type, evt.data.id],
    );
    if (claimed.rowCount === 0) {
      await client.query('COMMIT');
      return 'duplicate';
    }
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [evt.data.id]);
    const tombstone = await client.query('SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = $1', [evt.data.id]);
    let outcome = 'stale';
    if (tombstone.rowCount === 0) {
      const { data } = evt;
      const email = data.email_addresses.find((address) => address.id === data.primary_email_address_id)?.email_address ?? `${data.id}@no-email.invalid`;
      const written = await client.query(
        `INSERT INTO "User" (id, "clerkId", email, name, "firstName", "lastName", "clerkUpdatedAt", "createdAt", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0) AT TIME ZONE 'UTC', now(), now())
         ON CONFLICT ("clerkId") DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, "firstName" = EXCLUDED."firstName",
           "lastName" = EXCLUDED."lastName", "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = now()
         WHERE "User"."clerkUpdatedAt" IS NULL OR "User"."clerkUpdatedAt" < EXCLUDED."clerkUpdatedAt"`,
        [randomUUID(), data.id, email.toLowerCase(), [data.first_name, data.last_name].filter(Boolean).join(' ') || null, data.first_name, data.last_name, data.updated_at],
      );
      if (written.rowCount) outcome = 'applied';
    }
    await client.query(`UPDATE "WebhookDelivery" SET outcome = $2, "processedAt" = now() WHERE "svixId" = $1`, [svixId, outcome]);
    await client.query('COMMIT');
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

createServer((request, response) => {
  const started = performance.now();
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    const svixId = String(request.headers['svix-id']);
    try {
      const evt = webhook.verify(Buffer.concat(chunks).toString('utf8'), {
        'webhook-id': svixId,
        'webhook-timestamp': String(request.headers['svix-timestamp']),
        'webhook-signature': String(request.headers['svix-signature']),
      }) as Evt;
      const outcome = await apply(svixId, evt);
      log.info({ svixId, type: evt.type, clerkUserId: evt.data.id, outcome, status: 200, ms: Math.round(performance.now() - started) }, 'webhook delivery');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ outcome }));
    } catch (error) {
      log.error({ svixId, err: error }, 'webhook delivery failed');
      response.writeHead(500).end('error');
    }
  });
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));

// A clean exit on a stop, so that a CPU profile (bench/profile.ts: --cpu-prof) is written.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
