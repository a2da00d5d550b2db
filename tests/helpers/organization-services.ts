/**
 * What the in-process tests of the organization services share: people in
 * Clerk and our table, organizations made through the service, members who
 * joined (as an accepted invitation leaves them), and refusals as the form
 * shows them.
 */
import { randomUUID } from 'node:crypto';
import type { User } from '@/generated/prisma/client';
import { syncMembershipFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { syncUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { ActionError } from '@/modules/cores/actions/action-state';
import { createOrganization } from '@/modules/organizations/src/services/organizations.service';
import type { AppEmulator } from './app-emulator';
import { prisma } from './prisma';

export const suffix = () => randomUUID().slice(0, 8);

export function organizationFixtures(emulated: AppEmulator) {
  /** A Clerk user and our row of them. */
  async function person(firstName: string): Promise<User> {
    const clerkUser = await emulated.control.createUser({ email: `${firstName.toLowerCase()}-${suffix()}@example.com`, firstName, lastName: 'Tester' });
    return (await syncUserFromClerk(clerkUser)).user!;
  }
  /** An organization created through the service, as the form does: `admin` is its admin, here and in Clerk. */
  async function team(admin: User, name = `Team ${suffix()}`) {
    const slug = await createOrganization(admin, { name, slug: `team-${suffix()}` });
    return prisma().organization.findUniqueOrThrow({ where: { slug } });
  }
  /** `user` in `organization` with `role`, as an accepted invitation leaves them: made in Clerk, stored as the webhook would store it. */
  async function joined(organization: { clerkId: string }, user: User, role: string) {
    await syncMembershipFromClerk(await emulated.control.addMembership(organization.clerkId, user.clerkId, role, false));
    return prisma().membership.findFirstOrThrow({ where: { organization: { clerkId: organization.clerkId }, userId: user.id } });
  }
  return { person, team, joined };
}

/** A refusal as the form shows it (message, field); anything else fails the test. */
export const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      if (!(error instanceof ActionError)) throw error;
      return { message: error.message, field: error.field };
    },
  );
