import { checkDatabase } from '@/modules/cores/db/health';
import { getPrisma } from '@/modules/cores/db/prisma';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  const database = await checkDatabase(getPrisma());
  const headers = { 'Cache-Control': 'no-store' };
  if (database.ok) return Response.json({ status: 'ok', database: 'ok' }, { headers });
  return Response.json({ status: 'error', database: 'down', reason: database.reason }, { status: 503, headers });
}
