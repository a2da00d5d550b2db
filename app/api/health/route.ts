import { checkDatabase } from '@/modules/cores/db/health';
import { getPrisma } from '@/modules/cores/db/prisma';
import { getLogger } from '@/modules/cores/logger/logger';

export const dynamic = 'force-dynamic';

/** Public liveness: up or down, nothing more. Why the database is down goes to the log, not to anonymous callers. */
export async function GET(): Promise<Response> {
  const database = await checkDatabase(getPrisma());
  const headers = { 'Cache-Control': 'no-store' };
  if (database.ok) return Response.json({ status: 'ok', database: 'ok' }, { headers });
  getLogger().warn({ component: 'health', reason: database.reason }, 'health check: database down');
  return Response.json({ status: 'error', database: 'down' }, { status: 503, headers });
}
