/**
 * The session's word on the plan (`has({ feature })`, from the v2 token's
 * `fea`), where our row refused a write. Both can lag a plan change: the
 * claim by a token's lifetime, our row by its webhook. When the claim grants
 * a feature our row lacks (a checkout whose webhook is late), the
 * organization's subscription is read once from the Backend API and stored
 * by the sync's rules, and the write tried once more: our row decides, as
 * for memberships (docs/decisions/013, 023). When they agree, nothing is
 * asked of Clerk.
 */
import { auth } from '@clerk/nextjs/server';
import { syncOrganizationSubscriptionFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { getPrisma } from '@/modules/cores/db/prisma';

export async function withPlanFromClerk<T>(organizationId: string, write: () => Promise<T>, refusedFeature: (error: unknown) => string | null): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const feature = refusedFeature(error);
    if (feature === null) throw error;
    const { has } = await auth();
    if (!has({ feature })) throw error;
    const organization = await getPrisma().organization.findUnique({ where: { id: organizationId }, select: { clerkId: true } });
    if (!organization) throw error;
    await syncOrganizationSubscriptionFromClerk(organization.clerkId);
    return write();
  }
}
