/**
 * The one PrismaClient of the app, on the `pg` driver adapter.
 *
 * Cached on `globalThis` outside production so that Next.js hot reloads do not
 * open a new pool on every edit. Created on first use, so importing this
 * module never needs a database (`next build` imports it).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@/generated/prisma/client';
import { getDatabaseUrl } from '@/modules/cores/env/env';

/** How long to wait for a pooled connection before failing the query. */
const CONNECT_TIMEOUT_MS = 5_000;

export function createPrismaClient(connectionString: string): PrismaClient {
  const adapter = new PrismaPg({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  return new PrismaClient({ adapter });
}

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export function getPrisma(): PrismaClient {
  if (globalForPrisma.prisma) return globalForPrisma.prisma;
  const client = createPrismaClient(getDatabaseUrl());
  globalForPrisma.prisma = client;
  return client;
}

/** Close the pool (scripts and tests that end before the process does). */
export async function disconnectPrisma(): Promise<void> {
  const client = globalForPrisma.prisma;
  delete globalForPrisma.prisma;
  await client?.$disconnect();
}
