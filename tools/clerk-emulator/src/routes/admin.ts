/**
 * The emulator's admin page: the users, organizations and recent webhook
 * deliveries, and forms that change them as the Clerk dashboard would (each
 * change goes through the store, so its webhooks go out).
 */
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { ApiError, formError } from '../errors';
import { readParams, redirect, sendHtml, stringParam } from '../http';
import { checkName } from '../organizations';
import { adminPage } from '../pages';
import { route, type Route } from '../router';
import { primaryEmail, type UserChanges } from '../users';

export function adminRoutes(context: EmulatorContext): Route[] {
  const { store } = context;

  /** Run an admin form's change and show the page again, with Clerk's error if any. */
  async function adminAction(response: ServerResponse, change: () => Promise<void> | void): Promise<void> {
    let message = '';
    try {
      await change();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      message = error.errors[0]?.long_message ?? 'Could not save.';
    }
    return redirect(response, message ? `/admin?message=${encodeURIComponent(message)}` : '/admin');
  }

  function userByEmail(email: string) {
    const user = store.findUserByEmail(email);
    if (!user) throw formError('email', 'form_identifier_not_found', 'not found', `No user has the email address ${email}.`);
    return user;
  }

  /** The newest organizations with their members, for the admin page. */
  function adminOrganizations() {
    const organizations = store.listOrganizations().sort((a, b) => b.created_at - a.created_at);
    return {
      organizations: organizations.slice(0, 100).map((organization) => ({
        id: organization.id,
        name: organization.name,
        slug: organization.slug,
        membersCount: store.membersCount(organization.id),
        members: store.listMemberships(organization.id).map((membership) => ({
          userId: membership.userId,
          email: primaryEmail(store.getUser(membership.userId)) ?? membership.userId,
          role: membership.role,
        })),
      })),
      totalOrganizations: organizations.length,
      roles: store.roles.roleKeys(),
    };
  }

  return [
    route('admin', 'GET', '/admin', ({ response, url }) => {
      const users = [...store.listUsers()].sort((a, b) => b.created_at - a.created_at);
      const page = adminPage({
        users: users.slice(0, 200),
        total: users.length,
        ...adminOrganizations(),
        deliveries: context.webhooks.deliveries.slice(-50).reverse(),
        appUrl: context.appUrl,
        message: url.searchParams.get('message') ?? undefined,
      });
      return sendHtml(response, 200, page, context.appUrl);
    }),
    route('admin', 'POST', '/admin/users/:id', ({ request, response, params: { id } }) =>
      adminAction(response, async () => {
        const params = await readParams(request);
        const changes: UserChanges = {
          firstName: (stringParam(params, 'first_name') ?? '').trim() || null,
          lastName: (stringParam(params, 'last_name') ?? '').trim() || null,
        };
        const email = (stringParam(params, 'email') ?? '').trim();
        if (email) changes.primaryEmail = email;
        store.updateUser(id!, changes);
      }),
    ),
    route('admin', 'POST', '/admin/users/:id/delete', ({ response, params: { id } }) => adminAction(response, () => void store.deleteUser(id!))),
    route('admin', 'POST', '/admin/organizations', ({ request, response }) =>
      adminAction(response, async () => {
        const params = await readParams(request);
        const slug = (stringParam(params, 'slug') ?? '').trim();
        const email = (stringParam(params, 'email') ?? '').trim();
        store.createOrganization({ name: checkName(params.name), slug: slug || undefined, createdBy: email ? userByEmail(email).id : undefined });
      }),
    ),
    route('admin', 'POST', '/admin/organizations/:id', ({ request, response, params: { id } }) =>
      adminAction(response, async () => void store.updateOrganization(id!, { name: checkName((await readParams(request)).name) })),
    ),
    route('admin', 'POST', '/admin/organizations/:id/delete', ({ response, params: { id } }) => adminAction(response, () => void store.deleteOrganization(id!))),
    route('admin', 'POST', '/admin/organizations/:id/memberships', ({ request, response, params: { id } }) =>
      adminAction(response, async () => {
        const params = await readParams(request);
        store.createMembership(id!, { userId: userByEmail((stringParam(params, 'email') ?? '').trim()).id, role: params.role });
      }),
    ),
    route('admin', 'POST', '/admin/organizations/:id/memberships/:userId', ({ request, response, params: { id, userId } }) =>
      adminAction(response, async () => void store.updateMembership(id!, userId!, { role: (await readParams(request)).role })),
    ),
    route('admin', 'POST', '/admin/organizations/:id/memberships/:userId/delete', ({ response, params: { id, userId } }) =>
      adminAction(response, () => void store.deleteMembership(id!, userId!)),
    ),
  ];
}
