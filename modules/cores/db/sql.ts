/** SQL fragments shared by the raw queries. */
import { Prisma } from '@/generated/prisma/client';

/**
 * The database's clock as a UTC `timestamp`: our columns are `timestamp(3)`
 * without time zone holding UTC (as Prisma writes them), so raw SQL writes
 * and compares them the same way whatever the session's TimeZone is.
 */
export const utcNow = Prisma.sql`(now() AT TIME ZONE 'UTC')`;
