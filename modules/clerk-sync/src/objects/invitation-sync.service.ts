/**
 * Organization invitations outside the webhook: what the product stores at
 * once after inviting or revoking through the Backend API, and reconcile's
 * pass over pending invitations. Every write is one call of
 * `clerk_apply_change`, the webhook's rules (docs/decisions/022).
 */
import type { ClerkClient, OrganizationInvitation } from '@clerk/backend';
import { getPrisma } from '@/modules/cores/db/prisma';
import { type ClerkInvitationData, clerkInvitationDataSchema } from './clerk-invitation-data';
import type { Tx } from '../engine/sync-statement';
import { applyChange, type ChangeOutcome, syncChange } from './organization-sync.service';
import { checkedClerkData } from './user-sync.service';

/** An invitation from the Backend API (its `.raw`), stored by the invitations' rules; inside `tx` when given. */
export function syncInvitationFromClerk(invitation: unknown, tx?: Tx): Promise<ChangeOutcome> {
  const data: ClerkInvitationData = checkedClerkData(clerkInvitationDataSchema, invitation, 'invitation');
  const change = { object: 'invitation', action: 'version', data } as const;
  return tx ? applyChange(tx, change) : syncChange(change);
}

/** What reconcile did to invitations. */
export interface InvitationsReconcileSummary {
  organizations: number;
  seen: number;
  applied: number;
  /** Ours as pending that Clerk no longer lists as pending: stored as Clerk has them now. */
  ended: number;
  failed: number;
}

const PAGE = 100;

/** Every pending invitation of one organization, page by page. */
async function pendingOf(clerk: ClerkClient, organizationClerkId: string): Promise<OrganizationInvitation[]> {
  const found: OrganizationInvitation[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await clerk.organizations.getOrganizationInvitationList({ organizationId: organizationClerkId, status: ['pending'], limit: PAGE, offset });
    found.push(...page.data);
    if (page.data.length < PAGE) return found;
  }
}

/**
 * Pending invitations against Clerk's, after organizations are reconciled:
 * each organization's pending list applied; then every invitation we hold
 * as pending that Clerk did not list is read once and stored as Clerk has
 * it now (accepted, revoked, expired), or removed when Clerk has none.
 */
export async function reconcileInvitations(clerk: ClerkClient): Promise<InvitationsReconcileSummary> {
  const summary: InvitationsReconcileSummary = { organizations: 0, seen: 0, applied: 0, ended: 0, failed: 0 };
  const seen = new Set<string>();
  const apply = async (invitation: OrganizationInvitation | { raw: unknown; id: string }) => {
    try {
      if ((await syncInvitationFromClerk(invitation.raw)) === 'applied') summary.applied++;
    } catch {
      summary.failed++;
    }
  };
  for (let after = ''; ; ) {
    const organizations = await getPrisma().organization.findMany({ where: { clerkId: { gt: after } }, orderBy: { clerkId: 'asc' }, take: 500, select: { clerkId: true } });
    if (organizations.length === 0) break;
    for (const { clerkId } of organizations) {
      summary.organizations++;
      for (const invitation of await pendingOf(clerk, clerkId)) {
        seen.add(invitation.id);
        summary.seen++;
        await apply(invitation);
      }
    }
    after = organizations.at(-1)!.clerkId;
  }
  const pending = await getPrisma().invitation.findMany({ where: { status: 'pending' }, select: { clerkId: true, organizationClerkId: true } });
  for (const row of pending.filter((candidate) => !seen.has(candidate.clerkId))) {
    summary.ended++;
    const now = await clerk.organizations.getOrganizationInvitation({ organizationId: row.organizationClerkId, invitationId: row.clerkId }).catch((error: { status?: number }) => {
      if (error?.status === 404) return null;
      throw error;
    });
    if (now) await apply(now);
    else await getPrisma().invitation.deleteMany({ where: { clerkId: row.clerkId } });
  }
  return summary;
}
