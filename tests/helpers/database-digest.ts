/** Every row of every table of ours, as one digest per table: what "writes nothing" compares. */
import { prisma } from './prisma';

export async function databaseDigest(): Promise<Record<string, string>> {
  const tables = await prisma().$queryRaw<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`;
  const digest: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await prisma().$queryRawUnsafe<{ md5: string }[]>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM "${name}" t`);
    digest[name] = row!.md5;
  }
  return digest;
}
