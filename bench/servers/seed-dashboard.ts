/**
 * Baseline: the tutorial dashboard. `currentUser()` on every render (one
 * Backend API call, here to the emulator), then the user with all their
 * posts. Session verified locally as the real SDK does (verifyToken + jwtKey).
 */
import { createServer } from 'node:http';
import { createClerkClient, verifyToken } from '@clerk/backend';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';

const [port, databaseUrl, apiUrl, secretKey, jwtKey] = process.argv.slice(2) as [string, string, string, string, string];
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
const clerk = createClerkClient({ secretKey, apiUrl });
const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

createServer(async (request, response) => {
  try {
    const token = /__session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1] ?? '';
    const claims = await verifyToken(token, { jwtKey });
    const clerkUser = await clerk.users.getUser(claims.sub); // currentUser()
    const user = await prisma.user.findUnique({ where: { clerkId: clerkUser.id }, include: { posts: { orderBy: { createdAt: 'desc' } } } });
    if (!user) return response.writeHead(404).end('User not found');
    const posts = user.posts.map((post) => `<li><h3>${escape(post.title)}</h3><p>${escape(post.content)}</p></li>`).join('');
    response.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>${escape(user.name ?? '')}</h1><p>${escape(user.email)}</p><ul>${posts}</ul>`);
  } catch {
    response.writeHead(500).end('error');
  }
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
