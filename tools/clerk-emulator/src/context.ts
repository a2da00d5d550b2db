/**
 * What every route module works with: the emulator's state, its keys, its
 * instance settings and the few operations several resources share (minting
 * a session, a session's token, the app's origin). server.ts makes one per
 * emulator.
 */
import type { ContractCheck } from './contract/contract';
import type { User } from './contract/schemas';
import type { EmulatorKeys } from './keys';
import type { BillingSettings } from './billing';
import type { CustomRolePermissions } from './organizations';
import type { Session, Store } from './store';
import type { WebhookDispatcher } from './webhooks';

/** Instance settings, as the Clerk dashboard's; Clerk's defaults in DEFAULT_INSTANCE_SETTINGS. */
export interface InstanceSettings {
  /** "Name" turned off in the dashboard: Clerk refuses first_name and last_name. */
  names: boolean;
  /**
   * Organizations on (our README asks for them). Off, no session is ever pending (personal accounts are
   * all there is); the organization endpoints still answer, where Clerk would refuse them (how exactly
   * is not published, so not emulated: docs/clerk-emulator.md).
   */
  organizations: boolean;
  /**
   * "Allow personal accounts": off by default once Organizations are on, as
   * in Clerk. Off, a session without an active organization is pending, with
   * the `choose-organization` task, until the user chooses or creates one.
   */
  allowPersonalAccounts: boolean;
  /**
   * Custom permissions by role (`{ 'org:admin': ['org:posts:delete'] }`), as on the dashboard's
   * "Roles & Permissions" before the app starts: applied onto the instance's role objects (roles.ts)
   * at start, on reset and when given to `PUT /_control/config`; each role named gets exactly these
   * custom permissions (its system ones stay), and roles and permissions it lacks are made, without
   * webhooks. The Backend API's `/v1/organization_roles` and `/v1/organization_permissions` change
   * them with webhooks.
   */
  customRolePermissions?: CustomRolePermissions;
  /**
   * Send `organizationMembership.deleted` for the memberships that go with a
   * deleted organization or user (default). Turned off, only
   * `organization.deleted` / `user.deleted` arrive: an app must cope with both.
   */
  cascadeMembershipEvents?: boolean;
  /**
   * Clerk Billing's plans, as on the dashboard's "Plans" page (billing.ts, DEFAULT_PLANS: `free_org`,
   * `pro`, `free_user`): `{ plans }` replaces the catalogue, `{ freeTrialDays: { pro: 14 } }` gives a plan a trial.
   */
  billing?: BillingSettings;
}

export const DEFAULT_INSTANCE_SETTINGS: InstanceSettings = { names: true, organizations: true, allowPersonalAccounts: false };

/** Faults the control API injects into the Backend API. */
export interface Faults {
  rateLimit: { remaining: number; retryAfter: number };
  /** Backend API answers to fail with a server error (tests of retries), as Clerk does on a bad day. */
  serverErrors: { remaining: number; status: number; route: string | null };
  /** Users the list endpoint leaves out, as offset paging does when others are deleted meanwhile. */
  hiddenFromList: Set<string>;
  /** Added to every Backend API answer (benchmarks: Clerk is a network call away). */
  backendApiLatencyMs: number;
}

export interface MintedSession {
  session: Session;
  token: string;
  cookies: string[];
}

export interface EmulatorContext {
  store: Store;
  webhooks: WebhookDispatcher;
  keys: EmulatorKeys;
  instanceId: string;
  controlToken: string;
  contract: ContractCheck;
  faults: Faults;
  settings: InstanceSettings;
  /** The app's origin: the tokens' `azp`, and the only place sign-in may redirect to. */
  appUrl: string;
  tokenTtlSeconds: number;
  /** The emulator's own URL. */
  selfUrl(): string;
  /** Only the app's origin: anything else would make sign-in an open redirect. */
  safeRedirect(candidate: string | undefined | null): string;
  /** The session's token as of now: its active organization while the user is a member, and `sts: pending` while it has a task. */
  tokenFor(session: Session, issuedAt: number): Promise<string>;
  /** Sign in: a new session (in an organization when asked, else where Clerk would start it) and its cookies. */
  mintSession(user: User, clientId?: string, activeOrganization?: string | null): Promise<MintedSession>;
  /** Clerk's checks on name parts: its length limit, and names turned off for the instance. */
  checkNames(params: Record<string, unknown>): void;
  /** Organizations off, or on with "Allow personal accounts". */
  personalAccountsAllowed(): boolean;
  /** `pending` while the session has a task: no active organization where personal accounts are not allowed. */
  sessionStatus(session: Session): 'active' | 'pending';
  /** The session's tasks, as the Frontend API lists them (`[{ key: 'choose-organization' }]`). */
  sessionTasks(session: Session): { key: 'choose-organization' }[];
}

/** The Account Portal's page for the `choose-organization` task (Clerk's `<TaskChooseOrganization/>`). */
export const CHOOSE_ORGANIZATION_PATH = '/tasks/choose-organization';
