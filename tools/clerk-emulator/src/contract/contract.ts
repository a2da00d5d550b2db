/**
 * Holding the emulator to Clerk's contract: every Backend API answer and
 * every webhook is checked against the schema of its operation or event type
 * (schemas.ts) before it leaves.
 *
 *   off      nothing is checked (the default: benchmarks page through a
 *            million users and must not pay for it)
 *   report   checked and recorded (`GET /_control/contract`), sent anyway
 *   enforce  checked and recorded; an off-contract answer becomes a 500
 *            `emulator_contract_violation` and an off-contract webhook is not
 *            sent, so the test that provoked it fails where it happened, and
 *            the emulator's close (in-process) or stop (a child process)
 *            fails with the list (the test suite runs in this mode)
 *
 * The mode comes from `CLERK_EMULATOR_CONTRACT` unless the emulator is
 * started with one.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import * as schema from './schemas';

export type ContractMode = 'off' | 'report' | 'enforce';

export const CONTRACT_MODES: readonly ContractMode[] = ['off', 'report', 'enforce'];

/** The Backend API versions the emulator speaks (`Clerk-API-Version`); the first is the one it answers by default. */
export const API_VERSIONS = ['2026-05-12'] as const;

/** Each webhook event type the emulator sends, with the schema of its payload. */
export const WEBHOOK_SCHEMAS = {
  'user.created': schema.webhookEvent('user.created', schema.user),
  'user.updated': schema.webhookEvent('user.updated', schema.user),
  'user.deleted': schema.webhookEvent('user.deleted', schema.deletedObject),
  'organization.created': schema.webhookEvent('organization.created', schema.organization),
  'organization.updated': schema.webhookEvent('organization.updated', schema.organization),
  'organization.deleted': schema.webhookEvent('organization.deleted', schema.deletedObject),
  'organizationMembership.created': schema.webhookEvent('organizationMembership.created', schema.membership),
  'organizationMembership.updated': schema.webhookEvent('organizationMembership.updated', schema.membership),
  'organizationMembership.deleted': schema.webhookEvent('organizationMembership.deleted', schema.membership),
  'role.created': schema.webhookEvent('role.created', schema.role),
  'role.updated': schema.webhookEvent('role.updated', schema.role),
  'role.deleted': schema.webhookEvent('role.deleted', schema.deletedObject),
  'permission.created': schema.webhookEvent('permission.created', schema.permission),
  'permission.updated': schema.webhookEvent('permission.updated', schema.permission),
  'permission.deleted': schema.webhookEvent('permission.deleted', schema.deletedObject),
  // The closed OrganizationInvitation: the spec's extra branch (a nested `data.public_organization_data`) cannot pass beside it.
  'organizationInvitation.created': schema.webhookEvent('organizationInvitation.created', schema.organizationInvitation),
  'organizationInvitation.revoked': schema.webhookEvent('organizationInvitation.revoked', schema.organizationInvitation),
  'organizationInvitation.accepted': schema.webhookEvent('organizationInvitation.accepted', schema.organizationInvitationAccepted),
  'subscription.created': schema.webhookEvent('subscription.created', schema.eventSubscription),
  'subscription.updated': schema.webhookEvent('subscription.updated', schema.eventSubscription),
  'subscription.active': schema.webhookEvent('subscription.active', schema.eventSubscription),
  'subscription.pastDue': schema.webhookEvent('subscription.pastDue', schema.eventSubscription),
  'subscriptionItem.updated': schema.webhookEvent('subscriptionItem.updated', schema.eventSubscriptionItem),
  'subscriptionItem.active': schema.webhookEvent('subscriptionItem.active', schema.eventSubscriptionItem),
  'subscriptionItem.canceled': schema.webhookEvent('subscriptionItem.canceled', schema.eventSubscriptionItem),
  'subscriptionItem.upcoming': schema.webhookEvent('subscriptionItem.upcoming', schema.eventSubscriptionItem),
  'subscriptionItem.ended': schema.webhookEvent('subscriptionItem.ended', schema.eventSubscriptionItem),
  'subscriptionItem.abandoned': schema.webhookEvent('subscriptionItem.abandoned', schema.eventSubscriptionItem),
  'subscriptionItem.incomplete': schema.webhookEvent('subscriptionItem.incomplete', schema.eventSubscriptionItem),
  'subscriptionItem.pastDue': schema.webhookEvent('subscriptionItem.pastDue', schema.eventSubscriptionItem),
  'subscriptionItem.freeTrialEnding': schema.webhookEvent('subscriptionItem.freeTrialEnding', schema.eventSubscriptionItem),
  'paymentAttempt.created': schema.webhookEvent('paymentAttempt.created', schema.eventPaymentAttempt),
  'paymentAttempt.updated': schema.webhookEvent('paymentAttempt.updated', schema.eventPaymentAttempt),
} as const;

export type WebhookType = keyof typeof WEBHOOK_SCHEMAS;
export type WebhookPayload<T extends WebhookType = WebhookType> = z.output<(typeof WEBHOOK_SCHEMAS)[T]>;

export interface ContractViolation {
  /** `GET /v1/users/:id 200` or `webhook user.created`. */
  subject: string;
  issues: string[];
}

export interface ContractReport {
  mode: ContractMode;
  /** How many answers or webhooks were checked, by subject. */
  checked: Record<string, number>;
  violations: ContractViolation[];
}

const MAX_VIOLATIONS = 100;

export function contractModeFrom(value: string | undefined): ContractMode {
  if (value === undefined || value === '') return 'off';
  if ((CONTRACT_MODES as readonly string[]).includes(value)) return value as ContractMode;
  throw new Error(`CLERK_EMULATOR_CONTRACT must be one of ${CONTRACT_MODES.join(', ')}; it is "${value}".`);
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` ${issue.keys.join(', ')}` : '';
    return `${where}: ${issue.message}${keys}`;
  });
}

export class ContractCheck {
  private readonly checked = new Map<string, number>();
  private violations: ContractViolation[] = [];

  /**
   * `recordTo`: append every checked answer and webhook to this file (JSON
   * lines), for tools/clerk-emulator/check-openapi.ts to hold against Clerk's
   * published specs themselves (`CLERK_EMULATOR_RECORD`).
   */
  constructor(
    readonly mode: ContractMode,
    private readonly recordTo: string | undefined = process.env.CLERK_EMULATOR_RECORD || undefined,
  ) {}

  private record(subject: string, body: unknown): void {
    if (!this.recordTo) return;
    const webhook = subject.startsWith('webhook ');
    const [method, path, status] = subject.split(' ');
    const line = webhook
      ? { kind: 'webhook', type: subject.slice('webhook '.length), payload: body }
      : { kind: 'response', method, path, query: '', status: Number(status), body };
    appendFileSync(this.recordTo, `${JSON.stringify(line)}\n`);
  }

  /**
   * Check `body` against `shape`; true when it may be sent (on contract, or
   * not enforcing). `subject` names it in the report.
   */
  check(subject: string, shape: z.ZodType, body: unknown): boolean {
    if (this.mode === 'off') return true;
    this.checked.set(subject, (this.checked.get(subject) ?? 0) + 1);
    this.record(subject, body);
    const result = shape.safeParse(body);
    if (result.success) return true;
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push({ subject, issues: describe(result.error) });
    return this.mode !== 'enforce';
  }

  checkWebhook(payload: { type: string }): boolean {
    const shape = (WEBHOOK_SCHEMAS as Record<string, z.ZodType>)[payload.type];
    // An event type the emulator has no schema for is itself a drift.
    if (!shape) return this.check(`webhook ${payload.type}`, z.never(), payload);
    return this.check(`webhook ${payload.type}`, shape, payload);
  }

  report(): ContractReport {
    return { mode: this.mode, checked: Object.fromEntries(this.checked), violations: [...this.violations] };
  }

  reset(): void {
    this.checked.clear();
    this.violations = [];
  }
}

/** The report as an error message: what drifted from Clerk's contract, and where. */
export function violationsMessage(violations: ContractViolation[]): string {
  return [
    `The Clerk emulator answered off Clerk's contract ${violations.length} time(s) (tools/clerk-emulator/src/contract/schemas.ts):`,
    ...violations.map((violation) => `  ${violation.subject}\n    ${violation.issues.join('\n    ')}`),
  ].join('\n');
}
