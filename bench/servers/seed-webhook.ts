/**
 * Baseline: the tutorial ("seed") webhook handler, as published in countless
 * examples: verify, then a plain create / update / deleteMany. Duplicates
 * fail on the unique constraint and answer 500.
 */
import { createServer } from 'node:http';
import { PrismaPg } from '@prisma/adapter-pg';
import { Webhook } from 'standardwebhooks';
import { PrismaClient } from '../../generated/prisma/client';

const [port, databaseUrl, secret] = process.argv.slice(2) as [string, string, string];
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
const webhook = new Webhook(secret);

type Evt = { type: string; data: { id: string; email_addresses: { email_address: string }[]; first_name: string | null; last_name: string | null } };

createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', async () => {
    try {
      const evt = webhook.verify(body, {
        'webhook-id': String(request.headers['svix-id']),
        'webhook-timestamp': String(request.headers['svix-timestamp']),
        'webhook-signature': String(request.headers['svix-signature']),
      }) as Evt;
      const { id, email_addresses, first_name, last_name } = evt.data;
      if (evt.type === 'user.created') {
        await prisma.user.create({ data: { clerkId: id, email: email_addresses[0]!.email_address, name: `${first_name} ${last_name}` } });
      } else if (evt.type === 'user.updated') {
        await prisma.user.update({ where: { clerkId: id }, data: { email: email_addresses[0]!.email_address, name: `${first_name} ${last_name}` } });
      } else if (evt.type === 'user.deleted') {
        await prisma.user.deleteMany({ where: { clerkId: id } });
      }
      response.writeHead(200).end('ok');
    } catch {
      response.writeHead(500).end('error');
    }
  });
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
