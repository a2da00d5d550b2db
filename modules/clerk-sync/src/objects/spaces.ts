/**
 * The organizations a user is a member of, as our synced rows hold them:
 * the header's space switcher reads them here, below the auth UI and the
 * organizations module alike.
 */
import { getPrisma } from '@/modules/cores/db/prisma';

export interface SpaceLink {
  name: string;
  slug: string;
  role: string;
}

/**
 * The user's organizations by name: one statement (a join; Prisma would read
 * the relation in a second one), no Backend API call.
 */
export function listSpaces(userId: string): Promise<SpaceLink[]> {
  return getPrisma().$queryRaw<SpaceLink[]>`
    SELECT o."name", o."slug", m."role" FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId"
    WHERE m."userId" = ${userId} ORDER BY o."name", o."slug"`;
}
