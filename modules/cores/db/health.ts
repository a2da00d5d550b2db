/**
 * Database liveness for `/api/health`: one trivial query with a bounded wait,
 * so a hung or unreachable database answers "down" quickly instead of hanging
 * the probe.
 */
import type { PrismaClient } from '@/generated/prisma/client';

export const DATABASE_CHECK_TIMEOUT_MS = 2_000;

export type DatabaseHealth = { ok: true } | { ok: false; reason: string };

export async function checkDatabase(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  timeoutMs = DATABASE_CHECK_TIMEOUT_MS,
): Promise<DatabaseHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DatabaseHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const query = prisma.$queryRaw`SELECT 1`.then(
    (): DatabaseHealth => ({ ok: true }),
    (error: unknown): DatabaseHealth => ({ ok: false, reason: describeDatabaseError(error) }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A short, secret-free reason: never a connection string or a stack. */
function describeDatabaseError(error: unknown): string {
  const code = findCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (code === 'ENOTFOUND') return 'database host not found';
  if (code === '57P01' || code === '57P03') return 'database is shutting down or starting up';
  if (code === '28P01' || code === '28000') return 'authentication failed';
  if (code === '3D000') return 'database does not exist';
  return 'query failed';
}

function findCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const record = error as Record<string, unknown>;
  for (const key of ['code', 'originalCode']) {
    const value = record[key];
    if (typeof value === 'string' && !value.startsWith('P')) return value;
  }
  return findCode(record.cause, depth + 1) ?? findCode(record.meta, depth + 1) ?? findCode(record.driverAdapterError, depth + 1);
}
