/** The app's Prisma client, pointed at this test file's own database. */
import { getPrisma } from '@/modules/cores/db/prisma';

export const prisma = () => getPrisma();
