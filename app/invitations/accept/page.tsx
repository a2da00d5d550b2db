import type { Metadata } from 'next';
import Link from 'next/link';
import { AcceptInvitationScreen, type InvitationTicketStatus } from '@/modules/auth/components/auth-ui';
import { ORGANIZATION_SLUG_PATTERN } from '@/modules/organizations/src/interfaces/organization.limits';

export const metadata: Metadata = { title: 'Accept an invitation' };

const STATUSES: readonly InvitationTicketStatus[] = ['sign_up', 'sign_in', 'complete'];

/**
 * An organization invitation's link lands here (the `redirect_url` we give
 * Clerk), with Clerk's ticket: the invitee signs up or in through Clerk and
 * becomes a member only then. A link without a ticket (copied by hand,
 * tampered with) gets words, not an error.
 */
export default async function AcceptInvitationPage({ searchParams }: { searchParams: Promise<{ org?: string; __clerk_ticket?: string; __clerk_status?: string }> }) {
  const { org, __clerk_ticket: ticket, __clerk_status: status } = await searchParams;
  const slug = typeof org === 'string' && ORGANIZATION_SLUG_PATTERN.test(org) ? org : null;
  const known = STATUSES.find((candidate) => candidate === status);
  if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 4096 || !known) {
    return (
      <main className="mx-auto flex max-w-xl flex-col gap-4 px-6 py-16">
        <h1 className="text-2xl font-bold tracking-tight">This invitation link is incomplete</h1>
        <p className="text-slate-700">Open the link from the invitation email again, as it is. If it still does not work, ask whoever invited you to send a new invitation.</p>
        <Link href="/" className="font-medium text-indigo-700 hover:text-indigo-900">
          Go to the home page
        </Link>
      </main>
    );
  }
  return (
    <main className="flex justify-center px-6 py-16">
      <AcceptInvitationScreen ticket={ticket} status={known} redirectUrl={slug ? `/orgs/${slug}` : '/'} />
    </main>
  );
}
