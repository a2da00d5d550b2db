/** The emulator's HTML: its Account Portal (sign-in, sign-up, invitation links), admin page and mailbox. */
import type { User } from './contract/schemas';
import { primaryEmail } from './users';
import type { Delivery } from './webhooks';

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
  :root { color-scheme: light; font-family: ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
  body { margin: 0; background: #f8fafc; color: #0f172a; }
  main { max-width: 28rem; margin: 4rem auto; padding: 2rem; background: #fff; border: 1px solid #e2e8f0; border-radius: .75rem; box-shadow: 0 1px 2px rgb(0 0 0 / .05); }
  main.wide { max-width: 64rem; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  p.note { color: #475569; font-size: .9rem; margin: 0 0 1.5rem; }
  .badge { display: inline-block; font-size: .75rem; font-weight: 600; color: #92400e; background: #fef3c7; border-radius: 999px; padding: .125rem .5rem; margin-bottom: 1rem; }
  label { display: block; font-weight: 600; font-size: .9rem; margin: 1rem 0 .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .6rem .75rem; border: 1px solid #94a3b8; border-radius: .5rem; font: inherit; }
  input:focus, button:focus, a:focus { outline: 3px solid #6366f1; outline-offset: 2px; }
  button { margin-top: 1.5rem; width: 100%; padding: .65rem; border: 0; border-radius: .5rem; background: #4338ca; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button.small { width: auto; margin: 0; padding: .35rem .7rem; font-size: .85rem; }
  button.danger { background: #b91c1c; }
  .error { color: #b91c1c; font-size: .9rem; margin-top: .5rem; }
  a { color: #4338ca; }
  table { width: 100%; border-collapse: collapse; font-size: .85rem; }
  th, td { text-align: left; padding: .4rem; border-bottom: 1px solid #e2e8f0; vertical-align: middle; }
  td input { padding: .3rem .4rem; }
  form.inline { display: flex; gap: .4rem; align-items: center; margin: 0; }
  select { padding: .3rem .4rem; border: 1px solid #94a3b8; border-radius: .5rem; font: inherit; }
  tr.members > td { padding-left: 2rem; background: #f8fafc; }
`;

function page(title: string, body: string, wide = false): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Local Clerk</title><style>${STYLE}</style></head><body><main${wide ? ' class="wide"' : ''}>${body}</main></body></html>`;
}

const badge = '<span class="badge">Local Clerk emulator</span>';

/** An invitation being accepted on the sign-in or sign-up page: its ticket rides along, its address is fixed. */
export interface TicketForm {
  ticket: string;
  email: string;
  organizationName: string;
}

const ticketInput = (invitation: TicketForm | undefined) =>
  invitation ? `<input type="hidden" name="__clerk_ticket" value="${escapeHtml(invitation.ticket)}">` : '';

/** The invited address cannot be changed: the ticket vouches for that one only. */
const emailInput = (value: string, invitation: TicketForm | undefined, error: string | undefined, autofocus: boolean) =>
  `<input id="email" name="email" type="email" autocomplete="email" required${autofocus && !invitation ? ' autofocus' : ''}${invitation ? ' readonly aria-readonly="true"' : ''} value="${escapeHtml(invitation?.email ?? value)}"${error ? ' aria-invalid="true" aria-describedby="email-error"' : ''}>`;

export function signInPage(options: { redirectUrl: string; email?: string; error?: string; signUpHref: string; invitation?: TicketForm }): string {
  const { invitation } = options;
  return page(
    'Sign in',
    `${badge}<h1>Sign in</h1>
    <p class="note">${invitation ? `Sign in to join ${escapeHtml(invitation.organizationName)}.` : 'Local mode has no passwords: enter the email address of an existing user.'}</p>
    <form method="post" action="/sign-in">
      <input type="hidden" name="redirect_url" value="${escapeHtml(options.redirectUrl)}">${ticketInput(invitation)}
      <label for="email">Email address</label>
      ${emailInput(options.email ?? '', invitation, options.error, true)}
      ${options.error ? `<p class="error" id="email-error" role="alert">${escapeHtml(options.error)}</p>` : ''}
      <button type="submit">Continue</button>
    </form>
    <p class="note" style="margin-top:1.5rem">No account? <a href="${escapeHtml(options.signUpHref)}">Sign up</a></p>`,
  );
}

export function signUpPage(options: {
  redirectUrl: string;
  values?: { email?: string; firstName?: string; lastName?: string };
  error?: string;
  signInHref: string;
  invitation?: TicketForm;
}): string {
  const v = options.values ?? {};
  const { invitation } = options;
  return page(
    'Sign up',
    `${badge}<h1>Create your account</h1>
    <p class="note">${invitation ? `You were invited to join ${escapeHtml(invitation.organizationName)}: create your account with the invited address.` : 'Local mode has no passwords and sends no email.'}</p>
    <form method="post" action="/sign-up">
      <input type="hidden" name="redirect_url" value="${escapeHtml(options.redirectUrl)}">${ticketInput(invitation)}
      <label for="first_name">First name</label>
      <input id="first_name" name="first_name" autocomplete="given-name" value="${escapeHtml(v.firstName ?? '')}">
      <label for="last_name">Last name</label>
      <input id="last_name" name="last_name" autocomplete="family-name" value="${escapeHtml(v.lastName ?? '')}">
      <label for="email">Email address</label>
      ${emailInput(v.email ?? '', invitation, options.error, false)}
      ${options.error ? `<p class="error" id="email-error" role="alert">${escapeHtml(options.error)}</p>` : ''}
      <button type="submit">Sign up</button>
    </form>
    <p class="note" style="margin-top:1.5rem">Already have an account? <a href="${escapeHtml(options.signInHref)}">Sign in</a></p>`,
  );
}

/** Why an invitation's link or ticket is refused, in words for the person who followed it. */
const REFUSALS = {
  unknown: ['This invitation link is not valid', 'The link is incomplete or was never issued. Ask for a new invitation.'],
  revoked: ['This invitation was revoked', 'The organization withdrew it. Ask an administrator to invite you again.'],
  accepted: ['This invitation was already used', 'It has been accepted. Sign in to reach the organization.'],
  expired: ['This invitation has expired', 'Invitations are valid for a limited time. Ask an administrator to invite you again.'],
} as const;

export function invitationRefusedPage(options: { reason: keyof typeof REFUSALS; appUrl: string }): string {
  const [title, explanation] = REFUSALS[options.reason];
  return page(
    title,
    `${badge}<h1>${escapeHtml(title)}</h1>
    <p class="note" role="alert">${escapeHtml(explanation)}</p>
    <p><a href="${escapeHtml(options.appUrl)}/">Go to the app</a></p>`,
  );
}

/** The emails Clerk would have sent (invitations), newest first: where a person finds their accept link locally. */
export function mailboxPage(options: { messages: { to: string; subject: string; acceptUrl: string; sentAt: number }[] }): string {
  const rows = options.messages
    .map(
      (message) =>
        `<tr><td>${escapeHtml(new Date(message.sentAt).toISOString())}</td><td>${escapeHtml(message.to)}</td><td>${escapeHtml(message.subject)}</td><td><a href="${escapeHtml(message.acceptUrl)}">Accept invitation</a></td></tr>`,
    )
    .join('');
  return page(
    'Mailbox',
    `${badge}<h1>Mailbox</h1>
    <p class="note">The emails Clerk would have sent, newest first. Nothing leaves this machine.</p>
    <table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Link</th></tr></thead><tbody>${rows || '<tr><td colspan="4">No messages yet.</td></tr>'}</tbody></table>`,
    true,
  );
}

/** An organization as the admin page shows it: its members by email and role. */
export interface AdminOrganization {
  id: string;
  name: string;
  slug: string;
  membersCount: number;
  members: { userId: string; email: string; role: string }[];
}

function roleSelect(roles: string[], selected: string, label: string): string {
  const options = roles.map((role) => `<option value="${escapeHtml(role)}"${role === selected ? ' selected' : ''}>${escapeHtml(role)}</option>`).join('');
  return `<select name="role" aria-label="${escapeHtml(label)}">${options}</select>`;
}

function organizationRows(organization: AdminOrganization, roles: string[]): string {
  const id = escapeHtml(organization.id);
  const base = `/admin/organizations/${id}`;
  const members = organization.members
    .map((member) => {
      const who = escapeHtml(member.email);
      const path = `${base}/memberships/${escapeHtml(member.userId)}`;
      return `<tr><td>${who}</td><td><form class="inline" method="post" action="${path}">${roleSelect(roles, member.role, `Role of ${member.email} in ${organization.name}`)}<button class="small" type="submit">Change role</button></form></td>
        <td><form class="inline" method="post" action="${path}/delete"><button class="small danger" type="submit">Remove</button></form></td></tr>`;
    })
    .join('');
  return `<tr>
      <td><code>${id}</code></td>
      <td><form class="inline" method="post" action="${base}"><input aria-label="Name of ${id}" name="name" value="${escapeHtml(organization.name)}"><button class="small" type="submit">Rename</button></form></td>
      <td>${escapeHtml(organization.slug)}</td>
      <td>${organization.membersCount}</td>
      <td><form class="inline" method="post" action="${base}/delete"><button class="small danger" type="submit">Delete</button></form></td>
    </tr>
    <tr class="members"><td colspan="5"><table><tbody>${members}
      <tr><td colspan="3"><form class="inline" method="post" action="${base}/memberships">
        <input aria-label="Email of a new member of ${id}" name="email" type="email" placeholder="member@example.com" required>
        ${roleSelect(roles, 'org:member', `Role of the new member of ${organization.name}`)}
        <button class="small" type="submit">Add member</button></form></td></tr>
    </tbody></table></td></tr>`;
}

function organizationsSection(organizations: AdminOrganization[], total: number, roles: string[]): string {
  return `<h1 style="margin-top:2rem">Organizations</h1>
    <p class="note">Showing ${organizations.length} of ${total}. Every change sends its webhook.</p>
    <form class="inline" method="post" action="/admin/organizations">
      <input aria-label="Name of a new organization" name="name" placeholder="Name" required>
      <input aria-label="Slug of a new organization" name="slug" placeholder="slug (optional)">
      <input aria-label="Email of its first admin" name="email" type="email" placeholder="admin@example.com (optional)">
      <button class="small" type="submit">Create organization</button>
    </form>
    <table><thead><tr><th>Clerk id</th><th>Name</th><th>Slug</th><th>Members</th><th></th></tr></thead><tbody>${organizations.map((organization) => organizationRows(organization, roles)).join('') || '<tr><td colspan="5">No organizations yet.</td></tr>'}</tbody></table>`;
}

export function adminPage(options: {
  users: User[];
  total: number;
  organizations: AdminOrganization[];
  totalOrganizations: number;
  roles: string[];
  deliveries: Delivery[];
  appUrl: string;
  message?: string;
}): string {
  const rows = options.users
    .map((user) => {
      const id = escapeHtml(user.id);
      return `<tr>
        <td><code>${id}</code></td>
        <td colspan="3"><form class="inline" method="post" action="/admin/users/${id}">
          <input aria-label="First name of ${id}" name="first_name" value="${escapeHtml(user.first_name ?? '')}">
          <input aria-label="Last name of ${id}" name="last_name" value="${escapeHtml(user.last_name ?? '')}">
          <input aria-label="Email of ${id}" name="email" type="email" value="${escapeHtml(primaryEmail(user) ?? '')}">
          <button class="small" type="submit">Save</button></form></td>
        <td><form class="inline" method="post" action="/admin/users/${id}/delete"><button class="small danger" type="submit">Delete</button></form></td>
      </tr>`;
    })
    .join('');
  const deliveries = options.deliveries
    .map(
      (d) =>
        `<tr><td><code>${escapeHtml(d.id)}</code></td><td>${escapeHtml(d.type)}</td><td><code>${escapeHtml(d.objectId)}</code></td><td>${d.status}</td><td>${d.attempts}</td><td>${d.lastStatus ?? escapeHtml(d.lastError ?? '')}</td></tr>`,
    )
    .join('');
  return page(
    'Admin',
    `${badge}<h1>Users</h1>
    <p class="note">Change a name or an email, or delete a user (or change an organization below), then watch <a href="${escapeHtml(options.appUrl)}/dashboard">the app's copy</a> follow through the webhook. Showing ${options.users.length} of ${options.total}.</p>
    ${options.message ? `<p class="error" role="alert">${escapeHtml(options.message)}</p>` : ''}
    <table><thead><tr><th>Clerk id</th><th>First name</th><th>Last name</th><th>Email</th><th></th></tr></thead><tbody>${rows || '<tr><td colspan="5">No users yet.</td></tr>'}</tbody></table>
    ${organizationsSection(options.organizations, options.totalOrganizations, options.roles)}
    <h1 style="margin-top:2rem">Recent webhook deliveries</h1>
    <table><thead><tr><th>svix-id</th><th>type</th><th>object</th><th>status</th><th>attempts</th><th>last answer</th></tr></thead><tbody>${deliveries || '<tr><td colspan="6">None yet.</td></tr>'}</tbody></table>`,
    true,
  );
}

/**
 * The `choose-organization` session task, as Clerk's `<TaskChooseOrganization/>`
 * asks it where the instance has no personal accounts: one of the user's
 * organizations, or a new one.
 */
export function chooseOrganizationPage(options: {
  redirectUrl: string;
  organizations: { id: string; name: string; slug: string }[];
  name?: string;
  error?: string;
}): string {
  const redirect = `<input type="hidden" name="redirect_url" value="${escapeHtml(options.redirectUrl)}">`;
  const choices = options.organizations
    .map(
      (organization) => `<li><form class="inline" method="post" action="/tasks/choose-organization">${redirect}
        <input type="hidden" name="organization_id" value="${escapeHtml(organization.id)}">
        <button class="small" type="submit">Continue with ${escapeHtml(organization.name)}</button></form></li>`,
    )
    .join('');
  return page(
    'Choose an organization',
    `${badge}<h1>Choose an organization</h1>
    <p class="note">This instance has no personal accounts: you work in an organization.</p>
    ${choices ? `<ul style="list-style:none;padding:0;display:grid;gap:.5rem">${choices}</ul>` : ''}
    <form method="post" action="/tasks/choose-organization">
      ${redirect}
      <label for="name">${choices ? 'Or create a new organization' : 'Create your organization'}</label>
      <input id="name" name="name" required maxlength="256" value="${escapeHtml(options.name ?? '')}"${options.error ? ' aria-invalid="true" aria-describedby="name-error"' : ''}>
      ${options.error ? `<p class="error" id="name-error" role="alert">${escapeHtml(options.error)}</p>` : ''}
      <button type="submit">Create organization</button>
    </form>`,
  );
}

// Billing ---------------------------------------------------------------------

const dateOf = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().slice(0, 10));
const hidden = (fields: Record<string, string | undefined>) =>
  Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value!)}">`)
    .join('');

/** Clerk's checkout, locally: the plan and one Subscribe button (no card, no payment network). */
export function checkoutPage(options: {
  payerName: string;
  plan: { id: string; name: string; slug: string; monthlyFee: number; annualFee: number; features: string[]; freeTrialDays: number | null };
  period: 'month' | 'annual';
  trial: boolean;
  fields: Record<string, string | undefined>;
  error?: string;
}): string {
  const { plan, period } = options;
  const fee = period === 'annual' ? `$${(plan.annualFee / 100).toFixed(2)} a year` : `$${(plan.monthlyFee / 100).toFixed(2)} a month`;
  return page(
    `Subscribe to ${plan.name}`,
    `${badge}<h1>Subscribe to ${escapeHtml(plan.name)}</h1>
    <p class="note">For ${escapeHtml(options.payerName)}: <strong data-testid="checkout-price">${escapeHtml(fee)}</strong>${options.trial ? `, after a free trial of ${plan.freeTrialDays} days` : ''}. Local mode takes no card: the payment is the emulator's.</p>
    <ul data-testid="checkout-features">${plan.features.map((feature) => `<li>${escapeHtml(feature)}</li>`).join('')}</ul>
    ${options.error ? `<p class="error" role="alert" data-testid="checkout-error">${escapeHtml(options.error)}</p>` : ''}
    <form method="post" action="/billing/checkout" data-testid="checkout-form">${hidden(options.fields)}
      <button type="submit" data-testid="checkout-subscribe">Subscribe</button>
    </form>`,
  );
}

/** The payer's plan: what it is, until when, its status, and the buttons to cancel at period end or resubscribe. */
export function subscriptionPage(options: {
  payerName: string;
  planName: string;
  status: string;
  periodEnd: number | null;
  canManage: boolean;
  canCancel: boolean;
  canResubscribe: boolean;
  fields: Record<string, string | undefined>;
}): string {
  const cancel = options.canManage && options.canCancel
    ? `<form method="post" action="/billing/subscription/cancel" data-testid="subscription-cancel-form">${hidden(options.fields)}<button type="submit" class="danger" data-testid="subscription-cancel">Cancel at period end</button></form>`
    : '';
  const resubscribe = options.canManage && options.canResubscribe
    ? `<form method="post" action="/billing/subscription/resubscribe" data-testid="subscription-resubscribe-form">${hidden(options.fields)}<button type="submit" data-testid="subscription-resubscribe">Resubscribe</button></form>`
    : '';
  return page(
    'Subscription',
    `${badge}<h1>Subscription</h1>
    <p class="note">For ${escapeHtml(options.payerName)}.</p>
    <table>
      <tr><th>Plan</th><td data-testid="subscription-plan">${escapeHtml(options.planName)}</td></tr>
      <tr><th>Status</th><td data-testid="subscription-status">${escapeHtml(options.status)}</td></tr>
      <tr><th>Period end</th><td data-testid="subscription-period-end">${escapeHtml(dateOf(options.periodEnd))}</td></tr>
    </table>
    ${cancel}${resubscribe}
    ${options.fields.redirect_url ? `<p><a href="${escapeHtml(options.fields.redirect_url)}" data-testid="subscription-back">Back to the app</a></p>` : ''}`,
  );
}

/** Billing refused: not signed in, not allowed to manage the organization's billing, or an unknown plan. */
export function billingRefusedPage(options: { title: string; explanation: string; appUrl: string }): string {
  return page(
    options.title,
    `${badge}<h1 data-testid="billing-refused">${escapeHtml(options.title)}</h1>
    <p class="note" role="alert">${escapeHtml(options.explanation)}</p>
    <p><a href="${escapeHtml(options.appUrl)}/">Go to the app</a></p>`,
  );
}
