/**
 * The emulator's state: users, organizations and their memberships, clients
 * (one per browser) and sessions, and the instance's roles and permissions
 * (`roles`, roles.ts). Persisted as one JSON file in the data directory
 * (debounced), or kept in memory only. Every change to a user, an
 * organization, a membership, a role or a permission is reported to
 * `onEvent`, which is where webhooks come from. Billing (plans, subscriptions,
 * payments: billing.ts) is kept here too, on the same clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { EmailAddress, Organization, OrganizationInvitation, OrganizationInvitationAccepted, User } from './contract/schemas';
import { writePrivateFile } from '../../../modules/cores/private-files';
import { ApiError, formError, notFound } from './errors';
import { clerkId, randomToken } from './ids';
import {
  applyOrganizationChanges,
  buildMembership,
  buildOrganization,
  checkSlug,
  type CustomRolePermissions,
  type Membership,
  type MembershipJSON,
  membershipJSON,
  type NewOrganization,
  nextMetadata,
  type OrganizationChanges,
  requireRole,
  roleName,
  slugFromName,
  slugTaken,
} from './organizations';
import {
  acceptUrl,
  alreadyMember,
  duplicateInvitation,
  expiresInDays,
  expiryFrom,
  type Invitation,
  invitationJSON,
  type InvitationStatus,
  type MailboxMessage,
  MANAGE_MEMBERSHIPS,
  type NewInvitation,
  newTicket,
  notAnAdmin,
  notPending,
  statusAt,
} from './invitations';
import { Billing, type BillingEvent, type BillingSettings, type BillingSnapshot, type PayerDetails, type PayerType } from './billing';
import { RoleCatalog, type RoleEvent, type RolesSnapshot } from './roles';
import { addEmailAddress, applyUserChanges, buildUser, isValidEmail, type NewUser, PLACEHOLDER_IMAGE, primaryEmail, removeEmailAddress, upgradeUser, type UserChanges } from './users';

export interface Session {
  id: string;
  userId: string;
  clientId: string;
  status: 'active' | 'ended';
  refreshToken: string;
  createdAt: number;
  /** The session's active organization (Clerk's `last_active_organization_id`); null is the personal account. */
  activeOrganizationId: string | null;
}

/** A change the webhooks report: the object as it is after it (or as it was, for a deletion). */
export type EmulatorEvent =
  | RoleEvent
  | BillingEvent
  | { type: 'user.created' | 'user.updated'; user: User; at: number }
  | { type: 'user.deleted'; user: User; at: number }
  | { type: 'organization.created' | 'organization.updated'; organization: Organization; at: number }
  | { type: 'organization.deleted'; organization: Organization; at: number }
  | { type: 'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted'; membership: MembershipJSON; at: number }
  | { type: 'organizationInvitation.created' | 'organizationInvitation.revoked'; invitation: OrganizationInvitation; at: number }
  | { type: 'organizationInvitation.accepted'; invitation: OrganizationInvitationAccepted; at: number };

export type UserEvent = Extract<EmulatorEvent, { user: User }>;

/** The active organization of a session, checked against the memberships as they are now. */
export interface ActiveOrganization {
  organization: Organization;
  membership: Membership;
  permissions: string[];
}

interface Snapshot {
  users: User[];
  sessions: Session[];
  /** Absent in snapshots written before organizations existed. */
  organizations?: Organization[];
  memberships?: Membership[];
  /** The organization each user's next session starts in (user id → organization id). */
  lastActiveOrganizations?: [string, string][];
  /** The instance's roles and permissions; absent before they were objects (then seeded). */
  roles?: RolesSnapshot;
  /** Absent in snapshots written before invitations existed. */
  invitations?: Invitation[];
  mailbox?: MailboxMessage[];
  clockOffsetMs?: number;
  /** Absent in snapshots written before billing existed. */
  billing?: BillingSnapshot;
}

export class Store {
  private users = new Map<string, User>();
  /** Lower-cased email address → user id, for every address of every user. */
  private emails = new Map<string, string>();
  private sessions = new Map<string, Session>();
  private organizations = new Map<string, Organization>();
  /** Slug → organization id. */
  private slugs = new Map<string, string>();
  /** Organization id → user id → membership, and the same the other way round. */
  private membersOf = new Map<string, Map<string, Membership>>();
  private membershipsOf = new Map<string, Map<string, Membership>>();
  /**
   * Where a user's next session starts: the organization they last joined or
   * made active, as Clerk does ("will be the user's active organization the
   * next time they create a session").
   */
  private lastActiveOrganization = new Map<string, string>();
  /** The instance's organization roles and permissions (roles.ts): Clerk's defaults and this project's, seeded at start and on reset. */
  readonly roles: RoleCatalog = new RoleCatalog({
    now: () => this.now(),
    emit: (event) => this.onEvent(event),
    changed: () => this.scheduleSave(),
    roleInUse: (key) => this.roleInUse(key),
    roleKeyChanged: (from, to) => this.renameRole(from, to),
  });
  /** Clerk Billing: the plan catalogue, subscriptions and payments (billing.ts), on the store's clock. */
  readonly billing: Billing = new Billing({
    now: () => this.now(),
    emit: (event) => this.onEvent(event),
    changed: () => this.scheduleSave(),
    payerDetails: (type, ownerId) => this.payerDetails(type, ownerId),
  });
  /** The role checks' source (`requireRole`), under the name it had while roles were an instance setting. */
  private get customRolePermissions(): RoleCatalog {
    return this.roles;
  }
  /** Emit `organizationMembership.deleted` for the memberships a deleted organization or user takes along. */
  private cascadeMembershipEvents = true;
  /** The `customRolePermissions` setting last applied to `roles`. */
  private appliedRolePermissions: CustomRolePermissions | undefined;
  /** Wall time that never goes backwards: a clock stepped back must not make a later change look older. */
  private clock = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | null,
    private readonly onEvent: (event: EmulatorEvent) => void,
  ) {
    this.roles.seed();
    if (file && existsSync(file)) {
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      for (const user of snapshot.users) this.index(upgradeUser(user as unknown as Record<string, unknown>));
      for (const session of snapshot.sessions) this.sessions.set(session.id, { ...session, activeOrganizationId: session.activeOrganizationId ?? null });
      for (const organization of snapshot.organizations ?? []) this.indexOrganization(organization);
      for (const membership of snapshot.memberships ?? []) this.indexMembership(membership);
      for (const [userId, organizationId] of snapshot.lastActiveOrganizations ?? []) this.lastActiveOrganization.set(userId, organizationId);
      if (snapshot.roles) this.roles.restore(snapshot.roles);
      for (const invitation of snapshot.invitations ?? []) this.indexInvitation(invitation);
      this.mailbox = snapshot.mailbox ?? [];
      this.clockOffset = snapshot.clockOffsetMs ?? 0;
      if (snapshot.billing) this.billing.restore(snapshot.billing);
    }
  }

  /** The store's time: wall time plus what tests moved it on by (advanceClock), never backwards. */
  now(): number {
    this.clock = Math.max(this.clock, Date.now() + this.clockOffset);
    return this.clock;
  }

  /** A change's time: after the object's previous one, even within one millisecond. */
  private after(previous: number): number {
    return Math.max(this.now(), previous + 1);
  }

  // Users -----------------------------------------------------------------

  listUsers(): User[] {
    return [...this.users.values()];
  }

  countUsers(): number {
    return this.users.size;
  }

  getUser(id: string): User {
    const user = this.users.get(id);
    if (!user) throw notFound();
    return user;
  }

  findUserByEmail(email: string): User | undefined {
    const id = this.emails.get(email.trim().toLowerCase());
    return id ? this.users.get(id) : undefined;
  }

  private index(user: User): void {
    this.users.set(user.id, user);
    for (const address of user.email_addresses) this.emails.set(address.email_address.toLowerCase(), user.id);
  }

  private unindex(user: User): void {
    this.users.delete(user.id);
    for (const address of user.email_addresses) this.emails.delete(address.email_address.toLowerCase());
  }

  private assertEmailUsable(email: string, ownerId?: string): void {
    if (!isValidEmail(email)) {
      throw formError('email_address', 'form_param_format_invalid', 'is invalid', 'email_address must be a valid email address.');
    }
    const owner = this.findUserByEmail(email);
    if (owner && owner.id !== ownerId) {
      throw formError('email_address', 'form_identifier_exists', 'That email address is taken. Please try another.', 'That email address is taken. Please try another.');
    }
  }

  createUser(input: NewUser, options: { notify?: boolean } = {}): User {
    const emails = (input.emailAddresses ?? []).map((email) => email.trim().toLowerCase());
    if (emails.length === 0 && (input.phoneNumbers ?? []).length === 0) {
      throw formError('email_address', 'form_param_missing', 'is missing', 'An email address or a phone number is required.');
    }
    for (const email of emails) this.assertEmailUsable(email);
    const user = buildUser({ ...input, emailAddresses: emails }, this.now());
    this.index(user);
    if (options.notify !== false) this.onEvent({ type: 'user.created', user: structuredClone(user), at: user.created_at });
    this.scheduleSave();
    return user;
  }

  updateUser(id: string, changes: UserChanges): User {
    const user = this.getUser(id);
    if (changes.primaryEmail !== undefined) {
      changes = { ...changes, primaryEmail: changes.primaryEmail.trim().toLowerCase() };
      this.assertEmailUsable(changes.primaryEmail!, id);
    }
    applyUserChanges(user, changes, this.now());
    this.index(user);
    this.onEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return user;
  }

  /** A new address for a user; every change to a user is a `user.updated`, as in Clerk. */
  addEmailAddress(userId: string, address: string, options: { verified: boolean; primary: boolean }): EmailAddress {
    const user = this.getUser(userId);
    const email = address.trim().toLowerCase();
    this.assertEmailUsable(email);
    const added = addEmailAddress(user, email, options, this.now());
    this.index(user);
    this.onEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return added;
  }

  /** Remove an address (not the primary one), freeing it for anyone. */
  deleteEmailAddress(addressId: string): { user: User; address: EmailAddress } {
    const user = [...this.users.values()].find((candidate) => candidate.email_addresses.some((address) => address.id === addressId));
    const address = user?.email_addresses.find((candidate) => candidate.id === addressId);
    if (!user || !address) throw notFound();
    if (user.primary_email_address_id === addressId) {
      throw formError('email_address_id', 'primary_email_address_deletion_not_allowed', 'is the primary email address', 'The primary email address cannot be deleted: make another one primary first.');
    }
    removeEmailAddress(user, addressId, this.now());
    this.emails.delete(address.email_address.toLowerCase());
    this.onEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return { user, address };
  }

  /** The user's memberships go with them, reported before `user.deleted` (see `cascadeMembershipEvents`). */
  deleteUser(id: string): User {
    const user = this.getUser(id);
    // Its subscription ends first, while the payer's details are still there to report.
    this.billing.endPayer(user.id);
    for (const membership of [...(this.membershipsOf.get(id)?.values() ?? [])]) this.removeMembership(membership, this.cascadeMembershipEvents);
    this.unindex(user);
    this.lastActiveOrganization.delete(id);
    for (const session of this.sessions.values()) if (session.userId === id) session.status = 'ended';
    this.onEvent({ type: 'user.deleted', user, at: this.now() });
    this.scheduleSave();
    return user;
  }

  touchSignIn(user: User): void {
    user.last_sign_in_at = this.now();
    user.last_active_at = user.last_sign_in_at;
    this.scheduleSave();
  }

  // Sessions --------------------------------------------------------------

  createSession(userId: string, clientId: string = clerkId('client')): Session {
    this.getUser(userId);
    // One session per client: signing in again replaces the previous one.
    for (const session of this.sessions.values()) if (session.clientId === clientId) session.status = 'ended';
    const lastActive = this.lastActiveOrganization.get(userId);
    const session: Session = {
      id: clerkId('sess'),
      userId,
      clientId,
      status: 'active',
      refreshToken: randomToken(),
      createdAt: Date.now(),
      activeOrganizationId: lastActive && this.membersOf.get(lastActive)?.has(userId) ? lastActive : null,
    };
    this.sessions.set(session.id, session);
    this.scheduleSave();
    return session;
  }

  getSession(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  activeSessionOfClient(clientId: string): Session | undefined {
    for (const session of this.sessions.values()) {
      if (session.clientId === clientId && session.status === 'active' && this.users.has(session.userId)) return session;
    }
    return undefined;
  }

  endSession(id: string): void {
    const session = this.sessions.get(id);
    if (session) session.status = 'ended';
    this.scheduleSave();
  }

  endSessionsOfClient(clientId: string): void {
    for (const session of this.sessions.values()) if (session.clientId === clientId) session.status = 'ended';
    this.scheduleSave();
  }

  /**
   * Make an organization (by id or slug) the session's active one, or the
   * personal account with null. Only a member's: anything else is refused
   * with Clerk's 404 and the session stays as it was.
   */
  setActiveOrganization(sessionId: string, organizationIdOrSlug: string | null): Session {
    const session = this.sessions.get(sessionId);
    if (!session || session.status !== 'active') throw notFound();
    if (organizationIdOrSlug === null) {
      session.activeOrganizationId = null;
      this.lastActiveOrganization.delete(session.userId);
    } else {
      const organization = this.findOrganization(organizationIdOrSlug);
      if (!organization || !this.membersOf.get(organization.id)?.has(session.userId)) throw notFound();
      session.activeOrganizationId = organization.id;
      this.lastActiveOrganization.set(session.userId, organization.id);
    }
    this.scheduleSave();
    return session;
  }

  /** What the session's next token carries: its active organization while the user is still a member. */
  activeOrganizationOf(session: Session): ActiveOrganization | undefined {
    const organizationId = session.activeOrganizationId;
    const organization = organizationId ? this.organizations.get(organizationId) : undefined;
    const membership = organization ? this.membersOf.get(organization.id)?.get(session.userId) : undefined;
    if (!organization || !membership) return undefined;
    return { organization, membership, permissions: this.membershipJSON(membership).permissions };
  }

  // Organizations ---------------------------------------------------------

  listOrganizations(): Organization[] {
    return [...this.organizations.values()];
  }

  findOrganization(idOrSlug: string): Organization | undefined {
    return this.organizations.get(idOrSlug) ?? this.organizations.get(this.slugs.get(idOrSlug) ?? '');
  }

  /** By id or by slug, as `GET /v1/organizations/{id or slug}` finds it. */
  getOrganization(idOrSlug: string): Organization {
    const organization = this.findOrganization(idOrSlug);
    if (!organization) throw notFound();
    return organization;
  }

  membersCount(organizationId: string): number {
    return this.membersOf.get(organizationId)?.size ?? 0;
  }

  /** The organization with `members_count`, as Clerk sends it in events and embeds it in memberships. */
  withMembersCount(organization: Organization): Organization {
    return { ...organization, members_count: this.membersCount(organization.id) };
  }

  private indexOrganization(organization: Organization): void {
    this.organizations.set(organization.id, organization);
    this.slugs.set(organization.slug, organization.id);
  }

  private usableSlug(slug: string, ownerId?: string): string {
    checkSlug(slug);
    const owner = this.slugs.get(slug);
    if (owner && owner !== ownerId) throw slugTaken();
    return slug;
  }

  /**
   * A new organization; with `createdBy`, that user becomes its admin (and
   * its `organizationMembership.created` follows the `organization.created`).
   */
  createOrganization(input: NewOrganization, options: { notify?: boolean } = {}): Organization {
    const generated = input.slug === undefined ? slugFromName(input.name, false) : undefined;
    const slug = generated === undefined ? this.usableSlug(input.slug!) : this.slugs.has(generated) ? slugFromName(input.name, true) : generated;
    const creator = input.createdBy !== undefined ? this.getUser(input.createdBy) : undefined;
    const organization = buildOrganization({ ...input, slug }, this.now());
    this.indexOrganization(organization);
    // The instance's Creator role (org:admin unless re-keyed).
    const membership = creator ? buildMembership(organization.id, creator.id, this.roles.creatorRoleKey, organization.created_at) : undefined;
    if (membership) this.addMembership(membership);
    if (options.notify !== false) {
      this.onEvent({ type: 'organization.created', organization: this.withMembersCount(organization), at: organization.created_at });
      if (membership) this.onEvent({ type: 'organizationMembership.created', membership: this.membershipJSON(membership), at: membership.createdAt });
    }
    this.scheduleSave();
    return organization;
  }

  updateOrganization(id: string, changes: OrganizationChanges): Organization {
    const organization = this.getOrganization(id);
    if (changes.slug !== undefined && changes.slug !== organization.slug) {
      this.usableSlug(changes.slug, organization.id);
      this.slugs.delete(organization.slug);
    }
    applyOrganizationChanges(organization, changes);
    this.indexOrganization(organization);
    organization.updated_at = this.after(organization.updated_at);
    this.onEvent({ type: 'organization.updated', organization: this.withMembersCount(organization), at: organization.updated_at });
    this.scheduleSave();
    return organization;
  }

  /** Its memberships go first, each reported before `organization.deleted` (see `cascadeMembershipEvents`). */
  deleteOrganization(id: string): Organization {
    const organization = this.getOrganization(id);
    this.billing.endPayer(organization.id);
    for (const membership of [...(this.membersOf.get(organization.id)?.values() ?? [])]) this.removeMembership(membership, this.cascadeMembershipEvents);
    this.organizations.delete(organization.id);
    this.slugs.delete(organization.slug);
    this.membersOf.delete(organization.id);
    this.dropInvitationsOf(organization.id);
    this.onEvent({ type: 'organization.deleted', organization, at: this.now() });
    this.scheduleSave();
    return organization;
  }

  // Memberships -------------------------------------------------------------

  /** An organization's memberships (by id or slug). */
  listMemberships(organizationIdOrSlug: string): Membership[] {
    return [...(this.membersOf.get(this.getOrganization(organizationIdOrSlug).id)?.values() ?? [])];
  }

  /** Every membership of every organization (the instance-wide list). */
  allMemberships(): Membership[] {
    return [...this.membersOf.values()].flatMap((members) => [...members.values()]);
  }

  userMemberships(userId: string): Membership[] {
    this.getUser(userId);
    return [...(this.membershipsOf.get(userId)?.values() ?? [])];
  }

  getMembership(organizationId: string, userId: string): Membership {
    const membership = this.membersOf.get(organizationId)?.get(userId);
    if (!membership) throw notFound();
    return membership;
  }

  membershipJSON(membership: Membership): MembershipJSON {
    const organization = this.withMembersCount(this.getOrganization(membership.organizationId));
    return membershipJSON(membership, organization, this.getUser(membership.userId), this.roles);
  }

  private indexMembership(membership: Membership): void {
    for (const [index, outer, inner] of [
      [this.membersOf, membership.organizationId, membership.userId],
      [this.membershipsOf, membership.userId, membership.organizationId],
    ] as const) {
      const byKey = index.get(outer) ?? new Map<string, Membership>();
      byKey.set(inner, membership);
      index.set(outer, byKey);
    }
  }

  /** A membership, and where the member's next session starts. */
  private addMembership(membership: Membership): void {
    this.indexMembership(membership);
    this.lastActiveOrganization.set(membership.userId, membership.organizationId);
  }

  /**
   * Take a membership out of every index; the member's sessions drop it as
   * their active organization (Clerk clears it from sessions).
   */
  private removeMembership(membership: Membership, notify: boolean): MembershipJSON {
    const removed = this.membershipJSON(membership);
    this.membersOf.get(membership.organizationId)?.delete(membership.userId);
    this.membershipsOf.get(membership.userId)?.delete(membership.organizationId);
    if (this.lastActiveOrganization.get(membership.userId) === membership.organizationId) this.lastActiveOrganization.delete(membership.userId);
    for (const session of this.sessions.values()) {
      if (session.userId === membership.userId && session.activeOrganizationId === membership.organizationId) session.activeOrganizationId = null;
    }
    // The deleted membership's organization no longer counts it.
    removed.organization.members_count = this.membersCount(membership.organizationId);
    if (notify) this.onEvent({ type: 'organizationMembership.deleted', membership: removed, at: this.now() });
    return removed;
  }

  createMembership(
    organizationId: string,
    input: { userId: string; role: unknown; publicMetadata?: Record<string, unknown>; privateMetadata?: Record<string, unknown> },
    options: { notify?: boolean; createdAt?: number } = {},
  ): Membership {
    const organization = this.getOrganization(organizationId);
    const user = this.getUser(input.userId);
    const role = requireRole(input.role, this.roles);
    if (this.membersOf.get(organization.id)?.has(user.id)) {
      throw new ApiError(400, [{ code: 'already_a_member_in_organization', message: 'already a member', long_message: `User ${user.id} is already a member of the organization.` }]);
    }
    const limit = organization.max_allowed_memberships;
    if (limit > 0 && this.membersCount(organization.id) >= limit) {
      throw new ApiError(403, [{ code: 'organization_membership_quota_exceeded', message: 'organization membership quota exceeded', long_message: `You have reached your limit of ${limit} organization memberships, including outstanding invitations.` }]);
    }
    const membership = buildMembership(organization.id, user.id, role, options.createdAt ?? this.now(), { public: input.publicMetadata, private: input.privateMetadata });
    this.addMembership(membership);
    if (options.notify !== false) this.onEvent({ type: 'organizationMembership.created', membership: this.membershipJSON(membership), at: membership.createdAt });
    this.scheduleSave();
    return membership;
  }

  /** A new role (or metadata); either is an `organizationMembership.updated`. */
  updateMembership(
    organizationId: string,
    userId: string,
    changes: { role?: unknown; metadata?: { mode: 'replace' | 'merge'; public?: Record<string, unknown> | null; private?: Record<string, unknown> | null } },
  ): Membership {
    const membership = this.getMembership(this.getOrganization(organizationId).id, userId);
    if (changes.role !== undefined) membership.role = requireRole(changes.role, this.roles);
    const metadata = changes.metadata;
    if (metadata?.public !== undefined) membership.publicMetadata = nextMetadata(membership.publicMetadata, metadata.public, metadata.mode);
    if (metadata?.private !== undefined) membership.privateMetadata = nextMetadata(membership.privateMetadata, metadata.private, metadata.mode);
    membership.updatedAt = this.after(membership.updatedAt);
    this.onEvent({ type: 'organizationMembership.updated', membership: this.membershipJSON(membership), at: membership.updatedAt });
    this.scheduleSave();
    return membership;
  }

  /** Remove a member; returns the membership as it was, as Clerk's DELETE answers. */
  deleteMembership(organizationId: string, userId: string): MembershipJSON {
    const membership = this.getMembership(this.getOrganization(organizationId).id, userId);
    const removed = this.removeMembership(membership, true);
    this.scheduleSave();
    return removed;
  }

  // Invitations -------------------------------------------------------------

  private invitations = new Map<string, Invitation>();
  /** Ticket → invitation id: the accept link holds only the ticket. */
  private tickets = new Map<string, string>();
  /** The emails Clerk would have sent, oldest first. */
  private mailbox: MailboxMessage[] = [];
  /** How far tests have moved the store's clock on (POST /_control/clock); session tokens keep the wall clock. */
  private clockOffset = 0;
  /** The emulator's own URL, for the accept links (server.ts sets it once it listens). */
  acceptUrlBase = 'http://localhost';

  /** Move the store's clock on by `ms` (never back): invitations expire, periods pass. */
  advanceClock(ms: number): { offsetMs: number; now: number } {
    if (!Number.isFinite(ms) || ms < 0) throw formError('advanceMs', 'form_param_value_invalid', 'is invalid', 'advanceMs must be a number of milliseconds, 0 or more: the clock never goes back.');
    this.clockOffset += ms;
    // Renewals, trials' ends and canceled periods' ends that have come due, in time order.
    this.billing.runDue();
    this.scheduleSave();
    return this.clockState();
  }

  clockState(): { offsetMs: number; now: number } {
    return { offsetMs: this.clockOffset, now: this.now() };
  }

  private indexInvitation(invitation: Invitation): void {
    this.invitations.set(invitation.id, invitation);
    this.tickets.set(invitation.ticket, invitation.id);
  }

  /** The user who holds this address verified: an address someone only typed in proves nothing. */
  verifiedOwnerOf(email: string): User | undefined {
    const address = email.trim().toLowerCase();
    const user = this.findUserByEmail(address);
    const held = user?.email_addresses.find((candidate) => candidate.email_address.toLowerCase() === address);
    return held?.verification?.status === 'verified' ? user : undefined;
  }

  /** The user's verified addresses, lower-cased: what their invitations are matched on. */
  verifiedEmailsOf(userId: string): string[] {
    const user = this.getUser(userId);
    return user.email_addresses.filter((address) => address.verification?.status === 'verified').map((address) => address.email_address.toLowerCase());
  }

  invitationStatus(invitation: Invitation): InvitationStatus {
    return statusAt(invitation, this.now());
  }

  invitationJSON(invitation: Invitation): OrganizationInvitation {
    return invitationJSON(invitation, {
      now: this.now(),
      // The instance's name for the role, as memberships show it.
      roleName: this.roles.nameOf(invitation.role) ?? roleName(invitation.role),
      inviter: invitation.inviterId ? this.users.get(invitation.inviterId) : undefined,
      acceptUrlBase: this.acceptUrlBase,
    });
  }

  /** An organization's invitations (by id or slug), every status. */
  listInvitations(organizationIdOrSlug: string): Invitation[] {
    const organizationId = this.getOrganization(organizationIdOrSlug).id;
    return [...this.invitations.values()].filter((invitation) => invitation.organizationId === organizationId);
  }

  allInvitations(): Invitation[] {
    return [...this.invitations.values()];
  }

  /** Invitations to any of these addresses: a user's, by their verified ones. */
  invitationsTo(emails: string[]): Invitation[] {
    const wanted = new Set(emails);
    return [...this.invitations.values()].filter((invitation) => wanted.has(invitation.emailAddress));
  }

  /** One of the organization's invitations; another organization's is as missing as one that never was. */
  getInvitation(organizationIdOrSlug: string, invitationId: string): Invitation {
    const organization = this.getOrganization(organizationIdOrSlug);
    const invitation = this.invitations.get(invitationId);
    if (!invitation || invitation.organizationId !== organization.id) throw notFound();
    return invitation;
  }

  invitationByTicket(ticket: string): Invitation | undefined {
    const id = this.tickets.get(ticket);
    return id ? this.invitations.get(id) : undefined;
  }

  messages(): MailboxMessage[] {
    return [...this.mailbox];
  }

  /** A member allowed to manage memberships (the spec's "administrator"); anyone else is refused. */
  private requireManager(organizationId: string, userId: string): void {
    const membership = this.membersOf.get(organizationId)?.get(userId);
    if (!membership || !this.membershipJSON(membership).permissions.includes(MANAGE_MEMBERSHIPS)) throw notAnAdmin(userId);
  }

  /**
   * Invitations to one organization, all checked before any is made (a bulk
   * call makes all or none): the address, the role, the inviter, no member
   * and no pending invitation with that address, the membership limit
   * counting pending invitations (as Clerk's quota message says).
   */
  createInvitations(organizationIdOrSlug: string, inputs: NewInvitation[]): Invitation[] {
    const organization = this.getOrganization(organizationIdOrSlug);
    const now = this.now();
    const pending = this.listInvitations(organization.id).filter((invitation) => statusAt(invitation, now) === 'pending');
    const asked = new Set<string>();
    const checked = inputs.map((input) => {
      if (typeof input.emailAddress !== 'string' || !input.emailAddress.trim()) throw formError('email_address', 'form_param_missing', 'is missing', 'email_address must be given.');
      const email = input.emailAddress.trim().toLowerCase();
      if (!isValidEmail(email)) throw formError('email_address', 'form_param_format_invalid', 'is invalid', 'email_address must be a valid email address.');
      const role = requireRole(input.role, this.customRolePermissions);
      if (input.inviterUserId) this.requireManager(organization.id, input.inviterUserId);
      const owner = this.verifiedOwnerOf(email);
      if (owner && this.membersOf.get(organization.id)?.has(owner.id)) throw alreadyMember(email);
      if (asked.has(email) || pending.some((invitation) => invitation.emailAddress === email)) throw duplicateInvitation(email);
      asked.add(email);
      return { input, email, role, days: expiresInDays(input.expiresInDays) };
    });
    const limit = organization.max_allowed_memberships;
    if (limit > 0 && this.membersCount(organization.id) + pending.length + checked.length > limit) {
      throw new ApiError(403, [{ code: 'organization_membership_quota_exceeded', message: 'organization membership quota exceeded', long_message: `You have reached your limit of ${limit} organization memberships, including outstanding invitations.` }]);
    }
    const created = checked.map(({ input, email, role, days }) => {
      const at = this.now();
      const invitation: Invitation = {
        id: clerkId('orginv'),
        organizationId: organization.id,
        emailAddress: email,
        role,
        inviterId: input.inviterUserId ?? null,
        status: 'pending',
        publicMetadata: input.publicMetadata ?? {},
        privateMetadata: input.privateMetadata ?? {},
        redirectUrl: input.redirectUrl ?? null,
        ticket: newTicket(),
        acceptedBy: null,
        expiresAt: expiryFrom(at, days),
        createdAt: at,
        updatedAt: at,
      };
      this.indexInvitation(invitation);
      this.onEvent({ type: 'organizationInvitation.created', invitation: this.invitationJSON(invitation), at });
      if (input.notify !== false) {
        this.mailbox.push({
          id: clerkId('ema'),
          to: email,
          subject: `You're invited to join ${organization.name}`,
          acceptUrl: acceptUrl(this.acceptUrlBase, invitation.ticket),
          invitationId: invitation.id,
          organizationId: organization.id,
          organizationName: organization.name,
          sentAt: at,
        });
      }
      return invitation;
    });
    this.scheduleSave();
    return created;
  }

  /** Only a pending invitation can be revoked; its link stops working. */
  revokeInvitation(organizationIdOrSlug: string, invitationId: string, requestingUserId?: string): Invitation {
    const invitation = this.getInvitation(organizationIdOrSlug, invitationId);
    if (requestingUserId) this.requireManager(invitation.organizationId, requestingUserId);
    const status = this.invitationStatus(invitation);
    if (status !== 'pending') throw notPending(status);
    invitation.status = 'revoked';
    invitation.updatedAt = this.after(invitation.updatedAt);
    this.onEvent({ type: 'organizationInvitation.revoked', invitation: this.invitationJSON(invitation), at: invitation.updatedAt });
    this.scheduleSave();
    return invitation;
  }

  /**
   * The invitee takes up a pending invitation: a membership with its role and
   * metadata (Clerk moves the invitation's metadata to the membership), then
   * `organizationInvitation.accepted` and the membership's
   * `organizationMembership.created`, in that order. Only a user who holds
   * the invited address verified may accept it.
   */
  acceptInvitation(invitationId: string, userId: string): { invitation: Invitation; membership: Membership } {
    const invitation = this.invitations.get(invitationId);
    if (!invitation) throw notFound();
    const status = this.invitationStatus(invitation);
    if (status !== 'pending') throw notPending(status);
    const user = this.getUser(userId);
    if (!this.verifiedEmailsOf(user.id).includes(invitation.emailAddress)) {
      throw formError('email_address', 'form_identifier_not_found', 'not found', `User ${user.id} has no verified address ${invitation.emailAddress}.`);
    }
    if (this.membersOf.get(invitation.organizationId)?.has(user.id)) throw alreadyMember(invitation.emailAddress);
    const at = this.after(invitation.updatedAt);
    // Made first, unannounced: should it be refused (the role gone, the organization full), the invitation stays pending.
    const membership = this.createMembership(
      invitation.organizationId,
      { userId: user.id, role: invitation.role, publicMetadata: invitation.publicMetadata, privateMetadata: invitation.privateMetadata },
      { notify: false, createdAt: at },
    );
    invitation.status = 'accepted';
    invitation.acceptedBy = user.id;
    invitation.updatedAt = at;
    this.onEvent({ type: 'organizationInvitation.accepted', invitation: { ...this.invitationJSON(invitation), status: 'accepted', user_id: user.id }, at });
    this.onEvent({ type: 'organizationMembership.created', membership: this.membershipJSON(membership), at: membership.createdAt });
    this.scheduleSave();
    return { invitation, membership };
  }

  /** A deleted organization's invitations go with it, silently (Clerk has no event for that), and their links stop working. */
  private dropInvitationsOf(organizationId: string): void {
    for (const invitation of [...this.invitations.values()]) {
      if (invitation.organizationId !== organizationId) continue;
      this.invitations.delete(invitation.id);
      this.tickets.delete(invitation.ticket);
    }
  }

  // Roles -------------------------------------------------------------------

  /** Why a role cannot be deleted: memberships or pending invitations that hold it (the spec's `DeleteOrganizationRole`). */
  private roleInUse(key: string): string | null {
    const memberships = this.allMemberships().filter((membership) => membership.role === key).length;
    if (memberships > 0) return `${memberships} membership(s)`;
    const now = this.now();
    const invitations = [...this.invitations.values()].filter((invitation) => invitation.role === key && statusAt(invitation, now) === 'pending').length;
    return invitations > 0 ? `${invitations} pending invitation(s)` : null;
  }

  /**
   * A role's key changed: its memberships and invitations hold the new one. No
   * membership or invitation event: the role changed, not they (assumed,
   * docs/clerk-emulator.md); their next read shows the new key.
   */
  private renameRole(from: string, to: string): void {
    for (const membership of this.allMemberships()) if (membership.role === from) membership.role = to;
    for (const invitation of this.invitations.values()) if (invitation.role === from) invitation.role = to;
  }

  // Billing -------------------------------------------------------------------

  /** An organization's or a user's public details as its payer shows them; undefined once it is gone. */
  private payerDetails(type: PayerType, ownerId: string): PayerDetails | undefined {
    if (type === 'org') {
      const organization = this.organizations.get(ownerId);
      return organization && { firstName: null, lastName: null, email: null, organizationName: organization.name, imageUrl: organization.image_url ?? PLACEHOLDER_IMAGE };
    }
    const user = this.users.get(ownerId);
    return user && { firstName: user.first_name, lastName: user.last_name, email: primaryEmail(user) ?? null, organizationName: null, imageUrl: user.image_url ?? PLACEHOLDER_IMAGE };
  }

  configureBilling(settings: BillingSettings | undefined): void {
    this.billing.configure(settings);
  }

  // Instance settings ---------------------------------------------------------

  /** Custom roles and permissions, as the Clerk dashboard's "Roles & Permissions" page would set them. */
  configureOrganizations(settings: { customRolePermissions?: CustomRolePermissions; cascadeMembershipEvents?: boolean }): void {
    // Applied once per value given (the merged settings hand the same one back): a later PUT of other settings leaves roles changed since alone.
    if (settings.customRolePermissions && settings.customRolePermissions !== this.appliedRolePermissions) {
      this.roles.configure(settings.customRolePermissions);
      this.appliedRolePermissions = settings.customRolePermissions;
    }
    if (settings.cascadeMembershipEvents !== undefined) this.cascadeMembershipEvents = settings.cascadeMembershipEvents;
  }

  get organizationSettings() {
    return { customRolePermissions: this.roles.customPermissionsByRole(), cascadeMembershipEvents: this.cascadeMembershipEvents };
  }

  reset(): void {
    this.users.clear();
    this.emails.clear();
    this.sessions.clear();
    this.organizations.clear();
    this.slugs.clear();
    this.membersOf.clear();
    this.membershipsOf.clear();
    this.lastActiveOrganization.clear();
    this.roles.seed();
    this.appliedRolePermissions = undefined;
    this.cascadeMembershipEvents = true;
    this.invitations.clear();
    this.tickets.clear();
    this.mailbox = [];
    this.billing.reset();
    this.clockOffset = 0;
    this.clock = 0;
    this.scheduleSave();
  }

  // Persistence -----------------------------------------------------------

  /** Goes up with every change: a cached view of the users is good while it stays the same. */
  get revision(): number {
    return this.changes;
  }

  private changes = 0;

  private scheduleSave(): void {
    this.changes++;
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.save()).catch((error: unknown) => console.error('clerk-emulator: could not save state:', error));
    }, 50);
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    const snapshot: Snapshot = {
      users: [...this.users.values()],
      sessions: [...this.sessions.values()].filter((s) => s.status === 'active'),
      organizations: [...this.organizations.values()],
      memberships: [...this.membersOf.values()].flatMap((members) => [...members.values()]),
      lastActiveOrganizations: [...this.lastActiveOrganization],
      roles: this.roles.snapshot(),
      invitations: [...this.invitations.values()],
      mailbox: this.mailbox,
      clockOffsetMs: this.clockOffset,
      billing: this.billing.snapshot(),
    };
    const temporary = path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp`);
    // Sessions' refresh tokens and people's emails: the owner's alone (keys.ts made the directory so too).
    await writePrivateFile(temporary, JSON.stringify(snapshot));
    await rename(temporary, this.file);
  }

  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.save());
    }
    await this.saving;
  }
}

