/**
 * The emulator's state: users, clients (one per browser) and sessions.
 * Persisted as one JSON file in the data directory (debounced), or kept in
 * memory only. Every user change is reported to `onUserEvent`, which is
 * where webhooks come from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { UserJSON } from '@clerk/backend';
import { formError, notFound } from './errors';
import { clerkId, randomToken } from './ids';
import type { EmailAddressJSON } from '@clerk/backend';
import { addEmailAddress, applyUserChanges, buildUser, isValidEmail, type NewUser, removeEmailAddress, type UserChanges } from './users';

export interface Session {
  id: string;
  userId: string;
  clientId: string;
  status: 'active' | 'ended';
  refreshToken: string;
  createdAt: number;
}

export type UserEvent =
  | { type: 'user.created' | 'user.updated'; user: UserJSON; at: number }
  | { type: 'user.deleted'; user: UserJSON; at: number };

interface Snapshot {
  users: UserJSON[];
  sessions: Session[];
}

export class Store {
  private users = new Map<string, UserJSON>();
  /** Lower-cased email address → user id, for every address of every user. */
  private emails = new Map<string, string>();
  private sessions = new Map<string, Session>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | null,
    private readonly onUserEvent: (event: UserEvent) => void,
  ) {
    if (file && existsSync(file)) {
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      for (const user of snapshot.users) this.index(user);
      for (const session of snapshot.sessions) this.sessions.set(session.id, session);
    }
  }

  // Users -----------------------------------------------------------------

  listUsers(): UserJSON[] {
    return [...this.users.values()];
  }

  countUsers(): number {
    return this.users.size;
  }

  getUser(id: string): UserJSON {
    const user = this.users.get(id);
    if (!user) throw notFound();
    return user;
  }

  findUserByEmail(email: string): UserJSON | undefined {
    const id = this.emails.get(email.trim().toLowerCase());
    return id ? this.users.get(id) : undefined;
  }

  private index(user: UserJSON): void {
    this.users.set(user.id, user);
    for (const address of user.email_addresses) this.emails.set(address.email_address.toLowerCase(), user.id);
  }

  private unindex(user: UserJSON): void {
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

  createUser(input: NewUser, options: { notify?: boolean } = {}): UserJSON {
    const emails = (input.emailAddresses ?? []).map((email) => email.trim().toLowerCase());
    if (emails.length === 0 && (input.phoneNumbers ?? []).length === 0) {
      throw formError('email_address', 'form_param_missing', 'is missing', 'An email address or a phone number is required.');
    }
    for (const email of emails) this.assertEmailUsable(email);
    const user = buildUser({ ...input, emailAddresses: emails });
    this.index(user);
    if (options.notify !== false) this.onUserEvent({ type: 'user.created', user: structuredClone(user), at: user.created_at });
    this.scheduleSave();
    return user;
  }

  updateUser(id: string, changes: UserChanges): UserJSON {
    const user = this.getUser(id);
    if (changes.primaryEmail !== undefined) {
      changes = { ...changes, primaryEmail: changes.primaryEmail.trim().toLowerCase() };
      this.assertEmailUsable(changes.primaryEmail!, id);
    }
    applyUserChanges(user, changes);
    this.index(user);
    this.onUserEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return user;
  }

  /** A new address for a user; every change to a user is a `user.updated`, as in Clerk. */
  addEmailAddress(userId: string, address: string, options: { verified: boolean; primary: boolean }): EmailAddressJSON {
    const user = this.getUser(userId);
    const email = address.trim().toLowerCase();
    this.assertEmailUsable(email);
    const added = addEmailAddress(user, email, options);
    this.index(user);
    this.onUserEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return added;
  }

  /** Remove an address (not the primary one), freeing it for anyone. */
  deleteEmailAddress(addressId: string): { user: UserJSON; address: EmailAddressJSON } {
    const user = [...this.users.values()].find((candidate) => candidate.email_addresses.some((address) => address.id === addressId));
    const address = user?.email_addresses.find((candidate) => candidate.id === addressId);
    if (!user || !address) throw notFound();
    if (user.primary_email_address_id === addressId) {
      throw formError('email_address_id', 'primary_email_address_deletion_not_allowed', 'is the primary email address', 'The primary email address cannot be deleted: make another one primary first.');
    }
    removeEmailAddress(user, addressId);
    this.emails.delete(address.email_address.toLowerCase());
    this.onUserEvent({ type: 'user.updated', user: structuredClone(user), at: user.updated_at });
    this.scheduleSave();
    return { user, address };
  }

  deleteUser(id: string): UserJSON {
    const user = this.getUser(id);
    this.unindex(user);
    for (const session of this.sessions.values()) if (session.userId === id) session.status = 'ended';
    this.onUserEvent({ type: 'user.deleted', user, at: Date.now() });
    this.scheduleSave();
    return user;
  }

  touchSignIn(user: UserJSON): void {
    user.last_sign_in_at = Date.now();
    user.last_active_at = user.last_sign_in_at;
    this.scheduleSave();
  }

  // Sessions --------------------------------------------------------------

  createSession(userId: string, clientId: string = clerkId('client')): Session {
    this.getUser(userId);
    // One session per client: signing in again replaces the previous one.
    for (const session of this.sessions.values()) if (session.clientId === clientId) session.status = 'ended';
    const session: Session = { id: clerkId('sess'), userId, clientId, status: 'active', refreshToken: randomToken(), createdAt: Date.now() };
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

  reset(): void {
    this.users.clear();
    this.emails.clear();
    this.sessions.clear();
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
    const snapshot: Snapshot = { users: [...this.users.values()], sessions: [...this.sessions.values()].filter((s) => s.status === 'active') };
    const temporary = path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp`);
    await writeFile(temporary, JSON.stringify(snapshot));
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

