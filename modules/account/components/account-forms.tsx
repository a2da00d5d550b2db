'use client';

import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/authed-action';
import { FieldError, FormMessage, inputClass, SubmitButton } from '@/modules/cores/ui/form-parts';
import { DELETE_CONFIRMATION } from '../src/interfaces/account.schema';

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function NameForm({ action, firstName, lastName }: { action: Action; firstName: string; lastName: string }) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  const values = state.status === 'error' ? state.values : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate>
      {state.status === 'error' && state.formError ? <FormMessage tone="error">{state.formError}</FormMessage> : null}
      {state.status === 'success' ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor="firstName" className="block text-sm font-medium text-slate-800">
            First name
          </label>
          <input id="firstName" name="firstName" autoComplete="given-name" defaultValue={values?.firstName ?? firstName} aria-invalid={Boolean(errors?.firstName)} aria-describedby="firstName-error" className={inputClass} />
          <FieldError id="firstName-error" messages={errors?.firstName} />
        </div>
        <div>
          <label htmlFor="lastName" className="block text-sm font-medium text-slate-800">
            Last name
          </label>
          <input id="lastName" name="lastName" autoComplete="family-name" defaultValue={values?.lastName ?? lastName} aria-invalid={Boolean(errors?.lastName)} aria-describedby="lastName-error" className={inputClass} />
          <FieldError id="lastName-error" messages={errors?.lastName} />
        </div>
      </div>
      <div>
        <SubmitButton pending={pending} label="Save name" pendingLabel="Saving…" />
      </div>
    </form>
  );
}

export function DeleteAccountForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-3" noValidate>
      {state.status === 'error' && state.formError ? <FormMessage tone="error">{state.formError}</FormMessage> : null}
      <label htmlFor="confirmation" className="block text-sm font-medium text-slate-800">
        Type <strong>{DELETE_CONFIRMATION}</strong> to confirm
      </label>
      <input id="confirmation" name="confirmation" autoComplete="off" aria-invalid={Boolean(errors?.confirmation)} aria-describedby="confirmation-error" className={inputClass} />
      <FieldError id="confirmation-error" messages={errors?.confirmation} />
      <div>
        <SubmitButton pending={pending} label="Delete my account" pendingLabel="Deleting…" tone="danger" />
      </div>
    </form>
  );
}
