'use client';

import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, FormMessage, SubmitButton, TextField } from '@/modules/cores/ui/form-parts';
import { TypedConfirmationForm } from '@/modules/cores/ui/typed-confirmation-form';
import { DELETE_CONFIRMATION } from '../src/interfaces/account.limits';

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function NameForm({ action, firstName, lastName }: { action: Action; firstName: string; lastName: string }) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  const values = state.status === 'error' ? state.values : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate>
      <FormError state={state} />
      {state.status === 'success' ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id="firstName" name="firstName" label="First name" autoComplete="given-name" errors={errors?.firstName} defaultValue={values?.firstName ?? firstName} />
        <TextField id="lastName" name="lastName" label="Last name" autoComplete="family-name" errors={errors?.lastName} defaultValue={values?.lastName ?? lastName} />
      </div>
      <div>
        <SubmitButton pending={pending} label="Save name" pendingLabel="Saving…" />
      </div>
    </form>
  );
}

export function DeleteAccountForm({ action }: { action: Action }) {
  return <TypedConfirmationForm action={action} words={DELETE_CONFIRMATION} submitLabel="Delete my account" />;
}
