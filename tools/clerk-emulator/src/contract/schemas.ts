/**
 * The objects the emulator serves, as Clerk's published contract describes
 * them (Backend API 2026-05-12 and webhooks 2025-04-15, clerk/openapi-specs),
 * written here as our own zod schemas from its facts: field names, types,
 * which fields are required and which may be null. Nothing of the specs'
 * text is copied.
 *
 * Two rules on top of the contract, so that the emulator stays honest:
 * - Every object is strict: a field the contract does not have is a drift
 *   (the contract itself forbids extra fields on most of these objects).
 * - Lists of things the emulator never has (passkeys, web3 wallets, external,
 *   SAML and enterprise accounts) are typed as empty: `[]` is Clerk's value
 *   for "none", and anything else would be an object we do not emulate.
 *
 * The handlers are typed against these (`z.output` of a schema is what a route
 * may answer), and in `enforce` mode every answer and webhook is checked
 * against them before it leaves (contract.ts).
 */
import { z } from 'zod';

/** Unix time in milliseconds (Clerk's `int64` timestamps). */
const time = z.int().nonnegative();
const metadata = z.record(z.string(), z.unknown());
/** Always `[]` here: the emulator has none of these objects. */
const none = z.tuple([]);

export const identificationLink = z.strictObject({ type: z.string(), id: z.string() });

/** Set by an admin or the Backend API: verified, no attempts, no expiry. */
export const adminVerification = z.strictObject({
  object: z.literal('verification_admin').optional(),
  status: z.literal('verified'),
  strategy: z.literal('admin'),
  attempts: z.int().nullable(),
  expire_at: time.nullable(),
  verified_at_client: z.string().nullable().optional(),
});

/** A one-time code sent to the address or number; the only kind an unverified address has here. */
export const otpVerification = z.strictObject({
  object: z.literal('verification_otp').optional(),
  status: z.enum(['unverified', 'verified', 'failed', 'expired']),
  strategy: z.enum(['phone_code', 'email_code', 'reset_password_email_code']),
  attempts: z.int().nullable(),
  expire_at: time.nullable(),
  channel: z.string().nullable().optional(),
  verified_at_client: z.string().nullable().optional(),
});

export const verification = z.union([otpVerification, adminVerification]).nullable();

export const emailAddress = z.strictObject({
  id: z.string(),
  object: z.literal('email_address'),
  email_address: z.string(),
  reserved: z.boolean(),
  verification,
  linked_to: z.array(identificationLink),
  matches_sso_connection: z.boolean().optional(),
  created_at: time,
  updated_at: time,
});

export const phoneNumber = z.strictObject({
  id: z.string(),
  object: z.literal('phone_number'),
  phone_number: z.string(),
  reserved_for_second_factor: z.boolean().optional(),
  default_second_factor: z.boolean().optional(),
  reserved: z.boolean(),
  verification,
  linked_to: z.array(identificationLink),
  backup_codes: z.array(z.string()).nullable().optional(),
  created_at: time,
  updated_at: time,
});

export const user = z.strictObject({
  id: z.string(),
  object: z.literal('user'),
  external_id: z.string().nullable(),
  primary_email_address_id: z.string().nullable(),
  primary_phone_number_id: z.string().nullable(),
  primary_web3_wallet_id: z.string().nullable(),
  username: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  locale: z.string().nullable().optional(),
  image_url: z.string().optional(),
  has_image: z.boolean(),
  public_metadata: metadata,
  private_metadata: metadata.nullable().optional(),
  unsafe_metadata: metadata.optional(),
  email_addresses: z.array(emailAddress),
  phone_numbers: z.array(phoneNumber),
  web3_wallets: none,
  passkeys: none,
  password_enabled: z.boolean(),
  two_factor_enabled: z.boolean(),
  totp_enabled: z.boolean(),
  backup_code_enabled: z.boolean(),
  mfa_enabled_at: time.nullable(),
  mfa_disabled_at: time.nullable(),
  password_last_updated_at: time.nullable().optional(),
  external_accounts: none,
  saml_accounts: none,
  enterprise_accounts: none,
  last_sign_in_at: time.nullable(),
  banned: z.boolean(),
  locked: z.boolean(),
  deprovisioned: z.boolean().optional(),
  lockout_expires_in_seconds: z.int().nullable(),
  verification_attempts_remaining: z.int().nullable(),
  updated_at: time,
  created_at: time,
  delete_self_enabled: z.boolean(),
  create_organization_enabled: z.boolean(),
  create_organizations_limit: z.int().nullable().optional(),
  last_active_at: time.nullable(),
  legal_accepted_at: time.nullable(),
});

export const organization = z.strictObject({
  object: z.literal('organization'),
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  image_url: z.string().optional(),
  has_image: z.boolean(),
  members_count: z.int().nonnegative().optional(),
  pending_invitations_count: z.int().nonnegative().optional(),
  max_allowed_memberships: z.int().nonnegative(),
  admin_delete_enabled: z.boolean(),
  public_metadata: metadata,
  private_metadata: metadata.optional(),
  created_by: z.string().optional(),
  created_at: time,
  updated_at: time,
});

export const membershipPublicUserData = z.strictObject({
  user_id: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  /** Deprecated by Clerk in favour of `image_url`, and still required. */
  profile_image_url: z.string().nullable(),
  image_url: z.string(),
  has_image: z.boolean(),
  identifier: z.string().nullable().optional(),
  username: z.string().nullable().optional(),
  banned: z.boolean().optional(),
  deprovisioned: z.boolean().optional(),
});

export const membership = z.strictObject({
  id: z.string(),
  object: z.literal('organization_membership'),
  role: z.string(),
  role_name: z.string().optional(),
  permissions: z.array(z.string()),
  public_metadata: metadata,
  private_metadata: metadata.optional(),
  organization,
  /** Optional in the contract; the emulator always has its member. */
  public_user_data: membershipPublicUserData,
  created_at: time,
  updated_at: time,
});

/**
 * An organization permission: a system one (`org:sys_*`, Clerk's own) or a
 * custom one (`org:<feature>:<action>`). `type` is a string in the contract;
 * `@clerk/shared`'s PermissionJSON names its two values.
 */
export const permission = z.strictObject({
  object: z.literal('permission'),
  id: z.string(),
  name: z.string(),
  key: z.string(),
  description: z.string(),
  type: z.enum(['system', 'user']),
  created_at: time,
  updated_at: time,
});

/** An organization role with its permissions, as the Backend API and `role.*` events carry it. */
export const role = z.strictObject({
  object: z.literal('role'),
  id: z.string(),
  name: z.string(),
  key: z.string(),
  description: z.string().nullable(),
  is_creator_eligible: z.boolean(),
  permissions: z.array(permission),
  created_at: time,
  updated_at: time,
});

/** What a deletion answers (and `user.deleted` / `organization.deleted` carry). */
export const deletedObject = z.strictObject({
  object: z.string(),
  id: z.string().optional(),
  slug: z.string().optional(),
  deleted: z.boolean(),
  external_id: z.string().optional(),
});

export const clerkError = z.strictObject({
  message: z.string(),
  long_message: z.string(),
  code: z.string(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** Every error the Backend API answers. */
export const clerkErrors = z.strictObject({
  errors: z.array(clerkError).min(1),
  meta: z.record(z.string(), z.unknown()).optional(),
  clerk_trace_id: z.string().optional(),
});

export const totalCount = z.strictObject({ object: z.literal('total_count'), total_count: z.int().nonnegative() });

/** `{ data, total_count }`: the paginated lists (organizations, memberships). */
export const paginatedList = <T extends z.ZodType>(item: T) => z.strictObject({ data: z.array(item), total_count: z.int().nonnegative() });

export const rsaPublicKey = z.strictObject({
  kid: z.string(),
  alg: z.string(),
  use: z.string(),
  kty: z.literal('RSA'),
  n: z.string(),
  e: z.string(),
});

export const jwks = z.strictObject({ keys: z.array(rsaPublicKey) });

export const instance = z.strictObject({
  object: z.literal('instance'),
  id: z.string(),
  environment_type: z.string(),
  allowed_origins: z.array(z.string()).nullable(),
  workspace_id: z.string().nullable(),
});

/** The answer to a session refresh that asks for cookies. */
export const cookies = z.strictObject({ object: z.literal('cookies'), cookies: z.array(z.string()) });

// Organization invitations ------------------------------------------------------

/** The inviter, as an invitation shows them; null when there is none (the contract's `nullable`). */
export const organizationInvitationPublicUserData = z.strictObject({
  user_id: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  image_url: z.string(),
  has_image: z.boolean(),
  identifier: z.string(),
});

export const organizationInvitationPublicOrganizationData = z.strictObject({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  image_url: z.string().optional(),
  has_image: z.boolean(),
});

/**
 * `organization_id`, `status` and `private_metadata` are optional in the
 * contract; the emulator always sends them (the SDK reads all three).
 * `status` is a string there; `@clerk/backend`'s OrganizationInvitationStatus names its values.
 */
const organizationInvitationFields = {
  object: z.literal('organization_invitation'),
  id: z.string(),
  email_address: z.string(),
  role: z.string(),
  role_name: z.string(),
  organization_id: z.string(),
  inviter_id: z.string().nullable(),
  public_inviter_data: organizationInvitationPublicUserData.nullable(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  public_metadata: metadata,
  private_metadata: metadata,
  url: z.string().nullable(),
  expires_at: time.nullable(),
  created_at: time,
  updated_at: time,
};

/** Closed in the contract (`additionalProperties: false`): the organization's answers and the `organizationInvitation.*` events carry it. */
export const organizationInvitation = z.strictObject(organizationInvitationFields);

/** The instance's and a user's lists: the invitation with its organization's public data (an `allOf` in the contract). */
export const organizationInvitationWithPublicOrganizationData = z.strictObject({
  ...organizationInvitationFields,
  public_organization_data: organizationInvitationPublicOrganizationData.optional(),
});

/**
 * `organizationInvitation.accepted`: the invitation and who accepted it. The
 * webhooks spec writes it as an `allOf` of the closed OrganizationInvitation
 * and a branch requiring `user_id` and a nested `data`, which no payload can
 * satisfy (its own example has `user_id` and no `data`); we send what the
 * example and `@clerk/backend`'s OrganizationInvitationAcceptedJSON have.
 * check-openapi.ts reads the spec's own example's failures as the spec's.
 */
export const organizationInvitationAccepted = z.strictObject({ ...organizationInvitationFields, status: z.literal('accepted'), user_id: z.string() });

export const organizationInvitationList = paginatedList(organizationInvitation);
export const organizationInvitationWithPublicOrganizationDataList = paginatedList(organizationInvitationWithPublicOrganizationData);
export type OrganizationInvitation = z.output<typeof organizationInvitation>;
export type OrganizationInvitationAccepted = z.output<typeof organizationInvitationAccepted>;
export type OrganizationInvitationWithPublicOrganizationData = z.output<typeof organizationInvitationWithPublicOrganizationData>;
export type OrganizationInvitationPublicUserData = z.output<typeof organizationInvitationPublicUserData>;
export type OrganizationInvitationPublicOrganizationData = z.output<typeof organizationInvitationPublicOrganizationData>;

// Webhooks --------------------------------------------------------------------

/** Clerk's envelope around every event's `data`. */
export const webhookEvent = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.strictObject({
    data,
    object: z.literal('event'),
    type: z.literal(type),
    timestamp: time,
    instance_id: z.string(),
    event_attributes: z.strictObject({ http_request: z.strictObject({ client_ip: z.string(), user_agent: z.string() }) }).optional(),
  });

export type User = z.output<typeof user>;
export type EmailAddress = z.output<typeof emailAddress>;
export type PhoneNumber = z.output<typeof phoneNumber>;
export type Verification = z.output<typeof verification>;
export type Organization = z.output<typeof organization>;
export type Membership = z.output<typeof membership>;
export type MembershipPublicUserData = z.output<typeof membershipPublicUserData>;
export type DeletedObject = z.output<typeof deletedObject>;
export type ClerkError = z.output<typeof clerkError>;
export type Instance = z.output<typeof instance>;

/** `GET /v1/users` answers a bare array (its count is `GET /v1/users/count`). */
export const userList = z.array(user);
export const organizationList = paginatedList(organization);
export const membershipList = paginatedList(membership);
export const roleList = paginatedList(role);
export const permissionList = paginatedList(permission);
export type Role = z.output<typeof role>;
export type Permission = z.output<typeof permission>;
export type RsaPublicKey = z.output<typeof rsaPublicKey>;

// Billing ---------------------------------------------------------------------
// Backend API (CommercePlan, CommerceSubscription, CommerceSubscriptionItem,
// BillingPaymentAttempt, BillingStatement) and webhooks (SubscriptionEventPayload,
// BillingSubscriptionItemEventPayload, PaymentAttemptEventPayload). Amounts are in cents.

export const money = z.strictObject({ amount: z.int(), amount_formatted: z.string(), currency: z.string(), currency_symbol: z.string() });

export const feature = z.strictObject({
  object: z.literal('feature'),
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  slug: z.string(),
  avatar_url: z.string().nullable(),
});

export const plan = z.strictObject({
  object: z.literal('commerce_plan'),
  id: z.string(),
  name: z.string(),
  fee: money.nullable(),
  annual_monthly_fee: money.nullable(),
  annual_fee: money.nullable(),
  description: z.string().nullable(),
  product_id: z.string(),
  is_default: z.boolean(),
  is_recurring: z.boolean(),
  publicly_visible: z.boolean(),
  has_base_fee: z.boolean(),
  for_payer_type: z.enum(['user', 'org']),
  slug: z.string(),
  avatar_url: z.string().nullable(),
  features: z.array(feature).optional(),
  free_trial_enabled: z.boolean(),
  free_trial_days: z.int().nullable(),
});

/** The Backend API's payer: the other kind's fields are null. */
export const payer = z.strictObject({
  object: z.literal('commerce_payer'),
  id: z.string(),
  instance_id: z.string(),
  user_id: z.string().nullable().optional(),
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  organization_id: z.string().nullable().optional(),
  organization_name: z.string().nullable().optional(),
  image_url: z.string().optional(),
  created_at: time.optional(),
  updated_at: time.optional(),
});

export const SUBSCRIPTION_ITEM_STATUSES = ['active', 'canceled', 'expired', 'ended', 'past_due', 'upcoming', 'incomplete', 'abandoned'] as const;
export const SUBSCRIPTION_STATUSES = ['active', 'past_due', 'canceled', 'ended', 'abandoned', 'incomplete'] as const;

const itemNextPayment = z.strictObject({ amount: money.nullable().optional(), date: time.nullable().optional() });

export const subscriptionItem = z.strictObject({
  object: z.literal('commerce_subscription_item'),
  id: z.string(),
  instance_id: z.string(),
  status: z.enum(SUBSCRIPTION_ITEM_STATUSES),
  plan_id: z.string().nullable(),
  plan: plan.nullable().optional(),
  plan_period: z.enum(['month', 'annual']),
  lifetime_paid: money.optional(),
  next_payment: itemNextPayment.nullable().optional(),
  payer_id: z.string(),
  payer: payer.optional(),
  is_free_trial: z.boolean(),
  period_start: time,
  period_end: time.nullable(),
  canceled_at: time.nullable(),
  past_due_at: time.nullable(),
  ended_at: time.nullable(),
  created_at: time.optional(),
  updated_at: time.optional(),
});

export const subscription = z.strictObject({
  object: z.literal('commerce_subscription'),
  id: z.string(),
  instance_id: z.string(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  payer_id: z.string(),
  created_at: time,
  updated_at: time,
  active_at: time.nullable(),
  past_due_at: time.nullable(),
  subscription_items: z.array(subscriptionItem),
  next_payment: z.strictObject({ date: time, amount: money }).optional(),
  eligible_for_free_trial: z.boolean().optional(),
});

/**
 * What `extend_free_trial` answers: the spec gives that one operation another
 * shape of the same object (CommerceSubscriptionItem-2: `payment_source_id`,
 * `proration_date` and an older plan with flat amounts required; no `expired`
 * or `canceled` status).
 */
const legacyFeature = z.strictObject({ object: z.literal('feature'), id: z.string(), name: z.string(), description: z.string(), slug: z.string(), avatar_url: z.string() });
export const legacyPlan = z.strictObject({
  object: z.literal('commerce_plan'),
  id: z.string(),
  name: z.string(),
  fee: money.nullable(),
  annual_monthly_fee: money.nullable(),
  annual_fee: money.nullable(),
  amount: z.int(),
  amount_formatted: z.string(),
  annual_monthly_amount: z.int(),
  annual_monthly_amount_formatted: z.string(),
  annual_amount: z.int(),
  annual_amount_formatted: z.string(),
  currency_symbol: z.string(),
  currency: z.string(),
  description: z.string(),
  product_id: z.string(),
  is_default: z.boolean(),
  is_recurring: z.boolean(),
  publicly_visible: z.boolean(),
  has_base_fee: z.boolean(),
  payer_type: z.array(z.string()),
  for_payer_type: z.string(),
  slug: z.string(),
  avatar_url: z.string(),
  features: z.array(legacyFeature),
  free_trial_enabled: z.boolean().optional(),
  free_trial_days: z.int().nullable().optional(),
});
export const legacySubscriptionItem = z.strictObject({
  object: z.literal('commerce_subscription_item'),
  id: z.string(),
  instance_id: z.string(),
  status: z.enum(['active', 'ended', 'past_due', 'upcoming', 'incomplete', 'abandoned']),
  plan_id: z.string(),
  plan: legacyPlan.nullable(),
  plan_period: z.enum(['month', 'annual']),
  payment_source_id: z.string(),
  lifetime_paid: money.nullable().optional(),
  amount: money.nullable().optional(),
  next_payment: itemNextPayment.nullable().optional(),
  payer_id: z.string(),
  is_free_trial: z.boolean(),
  period_start: time.nullable().optional(),
  period_end: time.nullable().optional(),
  proration_date: z.string(),
  canceled_at: time.nullable().optional(),
  past_due_at: time.nullable().optional(),
  ended_at: time.nullable().optional(),
  created_at: time,
  updated_at: time,
});

export const paymentMethod = z.strictObject({
  object: z.literal('commerce_payment_method'),
  id: z.string(),
  payer_id: z.string(),
  payment_type: z.enum(['card', 'link', 'payer-credits']),
  is_default: z.boolean().optional(),
  gateway: z.string(),
  gateway_external_id: z.string(),
  gateway_external_account_id: z.string().nullable(),
  last4: z.string().nullable(),
  status: z.enum(['active', 'disconnected']),
  card_type: z.string().nullable(),
  created_at: time.optional(),
  updated_at: time.optional(),
});

export const paymentAttempt = z.strictObject({
  object: z.literal('commerce_payment'),
  id: z.string(),
  payment_id: z.string(),
  instance_id: z.string(),
  charge_type: z.string(),
  payee_id: z.string(),
  payee: z.record(z.string(), z.unknown()),
  payer_id: z.string(),
  payer,
  subscription_item_id: z.string().optional(),
  amount: money,
  payment_method_id: z.string(),
  payment_method: paymentMethod,
  statement_id: z.string(),
  gateway_external_id: z.string().nullable(),
  gateway_external_url: z.string().nullable(),
  status: z.enum(['pending', 'paid', 'failed']),
  paid_at: time.nullable(),
  failed_at: time.nullable(),
  created_at: time,
  updated_at: time,
});

export const statement = z.strictObject({
  object: z.literal('commerce_statement'),
  id: z.string(),
  instance_id: z.string(),
  timestamp: time,
  payer,
  status: z.enum(['open', 'closed']),
  totals: z.strictObject({ grand_total: money, subtotal: money, base_fee: money, tax_total: money }),
  groups: z.array(z.strictObject({ object: z.literal('commerce_statement_group'), timestamp: time, items: z.array(paymentAttempt) })),
});

export const planList = paginatedList(plan);
export const subscriptionItemList = paginatedList(subscriptionItem);
export const statementList = paginatedList(statement);
export const paymentAttemptList = paginatedList(paymentAttempt);

// Billing webhooks: the payer's fields of the other kind are empty strings (the spec requires them all, as its examples show).
export const eventPayer = z.strictObject({
  object: z.literal('commerce_payer'),
  id: z.string(),
  user_id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  email: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
  image_url: z.string(),
  created_at: time,
  updated_at: time,
});

export const eventSubscriptionItem = z.strictObject({
  object: z.literal('commerce_subscription_item'),
  id: z.string(),
  status: z.enum(SUBSCRIPTION_ITEM_STATUSES),
  is_free_trial: z.boolean(),
  created_at: time,
  updated_at: time,
  period_start: time,
  period_end: time.nullable(),
  interval: z.enum(['month', 'annual']),
  plan_id: z.string().nullable(),
  plan: z.strictObject({ id: z.string(), slug: z.string(), name: z.string(), is_recurring: z.boolean(), amount: z.int(), currency: z.string() }).nullable(),
  /** Present on the item's own events; absent inside a subscription's. */
  payer: eventPayer.optional(),
  /** Null inside a subscription's events. */
  subscription_id: z.string().nullable(),
});

export const eventSubscription = z.strictObject({
  object: z.literal('commerce_subscription'),
  id: z.string(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  active_at: time.nullable(),
  canceled_at: time.nullable(),
  created_at: time,
  ended_at: time.nullable(),
  past_due_at: time.nullable(),
  updated_at: time,
  latest_payment_id: z.string().nullable(),
  payer_id: z.string(),
  payer: eventPayer,
  payment_source_id: z.string().nullable(),
  items: z.array(eventSubscriptionItem),
});

const eventAmount = money;
export const eventPaymentAttempt = z.strictObject({
  id: z.string(),
  instance_id: z.string(),
  payment_id: z.string(),
  invoice_id: z.string(),
  statement_id: z.string(),
  gateway_external_id: z.string(),
  status: z.enum(['pending', 'paid', 'failed']),
  created_at: time,
  updated_at: time,
  paid_at: time.nullable(),
  failed_at: time.nullable(),
  failed_reason: z.strictObject({ code: z.string(), decline_code: z.string() }).nullable(),
  billing_date: time,
  charge_type: z.enum(['checkout', 'recurring']),
  payee: z.strictObject({ id: z.string(), gateway_type: z.string(), gateway_external_id: z.string(), gateway_status: z.string() }),
  payer: eventPayer,
  totals: z.strictObject({ subtotal: eventAmount, tax_total: eventAmount, grand_total: eventAmount }),
  payment_source: z.strictObject({
    id: z.string(),
    gateway: z.string(),
    gateway_external_id: z.string(),
    gateway_external_account_id: z.string().nullable(),
    payment_method: z.enum(['link', 'card']),
    status: z.enum(['active', 'disconnected']),
    card_type: z.string().nullable(),
    last4: z.string().nullable(),
  }),
  subscription_items: z.array(
    z.strictObject({
      id: z.string(),
      object: z.literal('commerce_subscription_item'),
      status: z.enum(SUBSCRIPTION_ITEM_STATUSES),
      created_at: time,
      updated_at: time,
      period_start: time,
      period_end: time,
      interval: z.enum(['month', 'annual']),
      plan_id: z.string().nullable(),
      plan: z.strictObject({ id: z.string(), slug: z.string(), name: z.string(), is_recurring: z.boolean(), amount: z.int(), currency: z.string() }).nullable(),
      subscription_id: z.string().optional(),
    }),
  ),
});

export type Money = z.output<typeof money>;
export type Plan = z.output<typeof plan>;
export type Feature = z.output<typeof feature>;
export type Payer = z.output<typeof payer>;
export type SubscriptionItem = z.output<typeof subscriptionItem>;
export type Subscription = z.output<typeof subscription>;
export type LegacySubscriptionItem = z.output<typeof legacySubscriptionItem>;
export type PaymentAttempt = z.output<typeof paymentAttempt>;
export type Statement = z.output<typeof statement>;
export type EventPayer = z.output<typeof eventPayer>;
export type EventSubscriptionItem = z.output<typeof eventSubscriptionItem>;
export type EventSubscription = z.output<typeof eventSubscription>;
export type EventPaymentAttempt = z.output<typeof eventPaymentAttempt>;
