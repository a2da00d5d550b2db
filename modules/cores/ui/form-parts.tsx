/** Form pieces shared by every form: accessible labels, errors tied to their fields, steady buttons. */
import type { ReactNode } from 'react';
import type { ActionState } from '../actions/action-state';

export function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  if (!messages?.length) return null;
  return (
    <p id={id} className="mt-1 text-sm text-red-700">
      {messages.join(' ')}
    </p>
  );
}

export function FormMessage({ tone, children }: { tone: 'error' | 'success'; children: ReactNode }) {
  const styles = tone === 'error' ? 'border-red-200 bg-red-50 text-red-800' : 'border-emerald-200 bg-emerald-50 text-emerald-800';
  return (
    <p role={tone === 'error' ? 'alert' : 'status'} className={`rounded-md border px-3 py-2 text-sm ${styles}`}>
      {children}
    </p>
  );
}

/** The form's own error, if any, with where to go to do what it asks (the upgrade link of a plan's limit, also when the message is beside a field). */
export function FormError({ state }: { state: ActionState }) {
  if (state.status !== 'error' || (!state.formError && !state.formErrorLink)) return null;
  return (
    <FormMessage tone="error">
      {state.formError}
      {state.formErrorLink ? (
        <>
          {' '}
          <a href={state.formErrorLink.href} className="font-semibold underline" data-testid="form-error-link">
            {state.formErrorLink.label}
          </a>
        </>
      ) : null}
    </FormMessage>
  );
}

/** A submit button whose width does not change while it says it is busy (no layout jump). */
export function SubmitButton({ pending, label, pendingLabel, tone = 'primary' }: { pending: boolean; label: string; pendingLabel: string; tone?: 'primary' | 'danger' }) {
  const colors = tone === 'danger' ? 'bg-red-700 hover:bg-red-600' : 'bg-indigo-700 hover:bg-indigo-600';
  return (
    <button
      type="submit"
      disabled={pending}
      aria-disabled={pending}
      className={`inline-grid rounded-md px-4 py-2 text-sm font-semibold text-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-wait disabled:opacity-70 ${colors}`}
    >
      {/* Both labels occupy the same cell; only one is visible. */}
      <span className={`col-start-1 row-start-1 ${pending ? 'invisible' : ''}`}>{label}</span>
      <span aria-hidden={!pending} className={`col-start-1 row-start-1 ${pending ? '' : 'invisible'}`}>
        {pendingLabel}
      </span>
    </button>
  );
}

export const inputClass =
  'mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-600 focus:outline-2 focus:outline-indigo-600 aria-[invalid=true]:border-red-600';

/**
 * A labelled field: its hint, or its errors once there are some, tied to it
 * through aria-describedby, and marked invalid for assistive technology.
 */
export function TextField({
  id,
  name,
  label,
  hint,
  errors,
  defaultValue,
  multiline = false,
  ...rest
}: {
  id: string;
  name: string;
  label: ReactNode;
  hint?: string;
  errors?: string[];
  defaultValue?: string;
  multiline?: boolean;
  autoComplete?: string;
  maxLength?: number;
  rows?: number;
}) {
  const describedBy = errors?.length ? `${id}-error` : hint ? `${id}-hint` : undefined;
  const common = { id, name, defaultValue, 'aria-invalid': Boolean(errors?.length), 'aria-describedby': describedBy, className: inputClass, ...rest };
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {multiline ? <textarea {...common} /> : <input {...common} />}
      {hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} messages={errors} />
    </div>
  );
}
