/**
 * What an organization's plan allows (docs/decisions/023). Plans and their
 * features are the Clerk instance's (Clerk's dashboard; the emulator's
 * instance settings): a plan lifts a limit by granting its feature, so a
 * plan made in Clerk with these features works with no code change. Every
 * limit is checked inside the statement that would pass it; what a page
 * shows is for the person, not the guard. No zod here (see post.limits.ts).
 */

/** Without `unlimited_members`: members plus pending invitations. */
export const FREE_MEMBER_LIMIT = 3;
/** Without `unlimited_posts`: an organization's posts. */
export const FREE_POST_LIMIT = 50;
/** Without `long_posts`: a post's characters in an organization (a personal post may be as long as POST_CONTENT_MAX). */
export const FREE_POST_CONTENT_MAX = 2_000;

/** Features (Clerk's feature slugs) the Pro plan grants and Free lacks. */
export const UNLIMITED_MEMBERS = 'unlimited_members';
export const UNLIMITED_POSTS = 'unlimited_posts';
export const LONG_POSTS = 'long_posts';

/** The organization plan the README tells an operator to create, by its slug (`has({ plan })` names it so). */
export const PRO_PLAN = 'pro';

/** Where an organization's admins see its plan and change it. */
export const billingPath = (organizationSlug: string) => `/orgs/${encodeURIComponent(organizationSlug)}/billing`;

/** Clerk's system permission to manage an organization's subscription (Admin has it; Member has only `org:sys_billing:read`). */
export const MANAGE_BILLING = 'org:sys_billing:manage';

/** What a feature means here, for the pricing cards; a feature this app does not use shows its slug. */
export const FEATURE_LABELS: Record<string, string> = {
  [UNLIMITED_MEMBERS]: 'Unlimited members',
  [UNLIMITED_POSTS]: 'Unlimited posts',
  [LONG_POSTS]: 'Posts up to 20,000 characters',
};

/** What an organization without those features gets. */
export const FREE_LIMIT_LABELS = [`Up to ${FREE_MEMBER_LIMIT} members, pending invitations included`, `Up to ${FREE_POST_LIMIT} posts`, `Posts up to ${FREE_POST_CONTENT_MAX.toLocaleString('en-US')} characters`];
