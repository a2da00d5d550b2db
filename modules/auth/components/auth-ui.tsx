/**
 * The one seam between Clerk's own UI and the emulator's. With real Clerk
 * keys: `<ClerkProvider>`, `<SignIn/>`, `<SignUp/>`, `<UserButton/>`,
 * `<OrganizationSwitcher/>`. Against the emulator (whose browser SDK cannot
 * load offline): its hosted pages and menus of ours. Pages use these
 * components and never check the mode.
 */
import { ClerkProvider, OrganizationSwitcher, PricingTable, SignIn, SignUp, TaskChooseOrganization, UserButton } from '@clerk/nextjs';
import { auth } from '@clerk/nextjs/server';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { CHOOSE_ORGANIZATION_TASK_PATH, getClerkConfig, SIGN_IN_PATH, SIGN_UP_PATH } from '@/modules/cores/clerk/clerk-config';
import { SessionKeepAlive } from './session-keep-alive';
import { SpaceMenu } from './space-menu';
import { getLogger } from '@/modules/cores/logger/logger';
import { listSpaces } from '@/modules/clerk-sync/src/objects/spaces';
import { PlanCards } from '@/modules/billing/components/plan-cards';
import type { PlanSummary } from '@/modules/billing/src/services/plans.service';

/** Keep-alive cadence: well inside the emulator's token lifetime (5 minutes by default). */
const KEEP_ALIVE_MS = 60_000;

export function AuthProvider({ children }: { children: ReactNode }) {
  const config = getClerkConfig();
  if (config.mode === 'emulator') {
    return (
      <>
        {children}
        <SessionKeepAlive intervalMs={KEEP_ALIVE_MS} />
      </>
    );
  }
  // `dynamic`: Clerk's scripts get this request's CSP nonce (docs/decisions/007).
  return (
    <ClerkProvider
      dynamic
      publishableKey={config.publishableKey}
      signInUrl={SIGN_IN_PATH}
      signUpUrl={SIGN_UP_PATH}
      taskUrls={{ 'choose-organization': CHOOSE_ORGANIZATION_TASK_PATH }}
    >
      {children}
    </ClerkProvider>
  );
}

/** Only same-site paths: an absolute URL elsewhere would be an open redirect. */
function afterAuthUrl(redirectUrl: string | undefined, appUrl: string): string {
  if (redirectUrl) {
    try {
      const url = new URL(redirectUrl, appUrl);
      if (url.origin === new URL(appUrl).origin) return url.toString();
    } catch {
      // fall through
    }
  }
  return `${appUrl}/dashboard`;
}

/**
 * Sign-in, and the session tasks a pending session is sent to (Clerk's SDK
 * redirects it to `/sign-in/tasks`; `taskUrls` names the page of
 * `choose-organization`). `task` is what follows `/sign-in/tasks`, if that
 * is where we are: `<SignIn/>` routes `/sign-in/tasks` itself, and the
 * emulator has its page for the task.
 */
export function SignInScreen({ redirectUrl, task }: { redirectUrl?: string; task?: string }) {
  const config = getClerkConfig();
  const target = afterAuthUrl(redirectUrl, config.appUrl);
  if (config.mode === 'emulator') {
    const page = task === undefined ? 'sign-in' : 'tasks/choose-organization';
    redirect(`${config.emulatorUrl}/${page}?redirect_url=${encodeURIComponent(target)}`);
  }
  if (task === 'choose-organization') return <TaskChooseOrganization redirectUrlComplete={target} />;
  return <SignIn forceRedirectUrl={target} signUpUrl={SIGN_UP_PATH} />;
}

export function SignUpScreen({ redirectUrl }: { redirectUrl?: string }) {
  const config = getClerkConfig();
  const target = afterAuthUrl(redirectUrl, config.appUrl);
  if (config.mode === 'emulator') redirect(`${config.emulatorUrl}/sign-up?redirect_url=${encodeURIComponent(target)}`);
  return <SignUp forceRedirectUrl={target} signInUrl={SIGN_IN_PATH} />;
}

/** What Clerk's invitation link says (`__clerk_status`): the invitee needs an account, has one, or is done. */
export type InvitationTicketStatus = 'sign_up' | 'sign_in' | 'complete';

/**
 * Where an invitation's link lands (its `redirect_url`): with the ticket
 * Clerk adds (`__clerk_ticket`), the invitee signs up (the address is
 * theirs: the ticket proves it) or signs in, and joins; then the
 * organization's space. Clerk's `<SignUp/>` and `<SignIn/>` read the ticket
 * from the URL themselves; the emulator's pages take it as a parameter.
 */
export function AcceptInvitationScreen({ ticket, status, redirectUrl }: { ticket: string; status: InvitationTicketStatus; redirectUrl: string }) {
  const config = getClerkConfig();
  const target = afterAuthUrl(redirectUrl, config.appUrl);
  if (status === 'complete') redirect(target);
  if (config.mode === 'emulator') {
    const page = status === 'sign_in' ? 'sign-in' : 'sign-up';
    redirect(`${config.emulatorUrl}/${page}?__clerk_ticket=${encodeURIComponent(ticket)}&redirect_url=${encodeURIComponent(target)}`);
  }
  return status === 'sign_in' ? <SignIn forceRedirectUrl={target} signUpUrl={SIGN_UP_PATH} /> : <SignUp forceRedirectUrl={target} signInUrl={SIGN_IN_PATH} />;
}

export function UserMenu({ name, email }: { name: string | null; email: string | null }) {
  const config = getClerkConfig();
  if (config.mode === 'clerk') {
    return (
      <div className="flex items-center gap-3">
        <Link href="/account" className="text-sm font-medium text-slate-700 hover:text-slate-900">
          Account
        </Link>
        <UserButton />
      </div>
    );
  }
  return (
    <details className="relative">
      <summary data-testid="user-menu" className="cursor-pointer list-none rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600">
        {name ?? email ?? 'Account'} <span aria-hidden="true">▾</span>
      </summary>
      <div className="absolute right-0 z-10 mt-2 w-64 rounded-lg border border-slate-200 bg-white p-3 shadow-lg">
        {email ? <p className="truncate text-sm text-slate-600">{email}</p> : null}
        <p className="mt-1 text-xs text-amber-800">Signed in through the local Clerk emulator</p>
        <Link href="/account" className="mt-3 block rounded-md px-2 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
          Account settings
        </Link>
        <form method="post" action={`${config.emulatorUrl}/sign-out`} className="mt-3">
          <input type="hidden" name="redirect_url" value={`${config.appUrl}/`} />
          <button type="submit" className="w-full rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
            Sign out
          </button>
        </form>
      </div>
    </details>
  );
}

/**
 * Switch between the personal space and each organization. Clerk's switcher
 * activates the organization in the session and goes to its URL; ours links
 * to the URLs (the middleware's organizationSyncOptions activates it), and
 * lists the user's organizations from our rows (one indexed query; Clerk's
 * needs none of ours). Either way the URL decides the space, and our
 * Membership rows decide access.
 */
export async function SpaceSwitcher({ userId }: { userId: string }) {
  const config = getClerkConfig();
  if (config.mode === 'clerk') {
    return (
      <OrganizationSwitcher
        hidePersonal={!config.allowPersonalAccounts}
        afterSelectOrganizationUrl="/orgs/:slug"
        afterSelectPersonalUrl="/dashboard"
        afterCreateOrganizationUrl="/orgs/:slug"
        afterLeaveOrganizationUrl="/dashboard"
      />
    );
  }
  const [spaces, session] = await Promise.all([
    listSpaces(userId).catch((error: unknown) => {
      // The header must not take a page down: the page itself reports a database problem.
      getLogger().warn({ err: error }, 'header could not list the user\'s organizations');
      return [];
    }),
    auth(),
  ]);
  return <SpaceMenu spaces={spaces} offerPersonal={config.allowPersonalAccounts} sessionOrgSlug={session.orgSlug ?? null} />;
}

/**
 * The organization plans for anyone: Clerk's `<PricingTable for="organization"/>`
 * with real Clerk; against the emulator, our cards of the plans we hold
 * (subscribing happens from an organization's Billing page, which names the
 * payer).
 */
export function PricingScreen({ plans }: { plans: PlanSummary[] }) {
  if (getClerkConfig().mode === 'clerk') return <PricingTable for="organization" />;
  return <PlanCards plans={plans} />;
}

/**
 * Changing an organization's plan, for a member who may manage its billing.
 * With real Clerk: `<PricingTable for="organization"/>`, whose checkout runs
 * in Clerk's drawer for the session's active organization (the URL's, which
 * the middleware activates), then back to `returnUrl`. Against the emulator:
 * our cards, each linking to the emulator's checkout page (no card, no
 * payment network), and its page to cancel or resubscribe.
 */
export function OrganizationPlanPicker({
  organizationClerkId,
  plans,
  currentSlug,
  pastDue,
  returnUrl,
}: {
  organizationClerkId: string;
  plans: PlanSummary[];
  currentSlug: string | null;
  /** A payment is overdue: it is settled on the subscription page, not by a new checkout. */
  pastDue: boolean;
  returnUrl: string;
}) {
  const config = getClerkConfig();
  if (config.mode === 'clerk') return <PricingTable for="organization" newSubscriptionRedirectUrl={returnUrl} />;
  const target = `${config.appUrl}${returnUrl}`;
  const checkout = (plan: PlanSummary) =>
    `${config.emulatorUrl}/billing/checkout?plan=${encodeURIComponent(plan.slug)}&organization_id=${encodeURIComponent(organizationClerkId)}&redirect_url=${encodeURIComponent(target)}`;
  const manage = `${config.emulatorUrl}/billing/subscription?organization_id=${encodeURIComponent(organizationClerkId)}&redirect_url=${encodeURIComponent(target)}`;
  return (
    <div className="flex flex-col gap-4">
      <PlanCards
        plans={plans}
        currentSlug={currentSlug}
        action={(plan) =>
          plan.slug === currentSlug || plan.isDefault || pastDue ? null : (
            <a href={checkout(plan)} data-testid={`subscribe-${plan.slug}`} className="inline-block rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600">
              Subscribe to {plan.name}
            </a>
          )
        }
      />
      <a href={manage} data-testid="manage-subscription" className="text-sm font-medium text-indigo-700 underline">
        {pastDue ? 'Manage the subscription (a payment is overdue)' : 'Manage the subscription (cancel, resubscribe)'}
      </a>
    </div>
  );
}
