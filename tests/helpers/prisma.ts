/** The app's Prisma client, pointed at this test file's own database. */
import { getPrisma } from '@/modules/cores/db/prisma';

export const prisma = () => getPrisma();

export async function disconnectPrisma(): Promise<void> {
  const holder = globalThis as unknown as { prisma?: { $disconnect(): Promise<void> } };
  await holder.prisma?.$disconnect();
  delete holder.prisma;
}
