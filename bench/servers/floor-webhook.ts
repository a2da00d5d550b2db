/**
 * The floor: the least any correct-looking handler must do. A bare node:http
 * server, the same signature check, and one SQL upsert through `pg`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';

const [port, databaseUrl, secret] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const webhook = new Webhook(secret);

type Evt = { data: { id: string; email_addresses: { email_address: string }[]; first_name: string | null } };

createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', async () => {
    try {
      const { data } = webhook.verify(body, {
        'webhook-id': String(request.headers['svix-id']),
        'webhook-timestamp': String(request.headers['svix-timestamp']),
        'webhook-signature': String(request.headers['svix-signature']),
      }) as Evt;
      await pool.query(
        `INSERT INTO "User" (id, "clerkId", email, name, "updatedAt") VALUES ($1, $2, $3, $4, now())
         ON CONFLICT ("clerkId") DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, "updatedAt" = now()`,
        [randomUUID(), data.id, data.email_addresses[0]!.email_address, data.first_name],
      );
      response.writeHead(200).end('ok');
    } catch {
      response.writeHead(500).end('error');
    }
  });
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
