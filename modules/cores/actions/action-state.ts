/**
 * What a server action answers its form with: a typed state the form shows
 * (field errors beside their fields, a message above the form, or a
 * confirmation). The wrapper that produces it lives with the session check
 * it depends on (modules/auth/src/services/authed-action.ts).
 */

export type FieldErrors = Record<string, string[] | undefined>;

export type ActionState =
  | { status: 'idle' }
  | { status: 'success'; message: string; at: number }
  | { status: 'error'; formError?: string; formErrorLink?: ActionLink; fieldErrors?: FieldErrors; values?: Record<string, string> };

/** Where a person can go to do what the message asks (upgrade the plan). */
export interface ActionLink {
  href: string;
  label: string;
}

export const IDLE: ActionState = { status: 'idle' };

/** A failure the person can act on: shown above the form (or beside `field`), not thrown to the error boundary. */
export class ActionError extends Error {
  override name = 'ActionError';
  constructor(
    message: string,
    readonly field?: string,
    readonly link?: ActionLink,
  ) {
    super(message);
  }
}

export const success = (message: string): ActionState => ({ status: 'success', message, at: Date.now() });
