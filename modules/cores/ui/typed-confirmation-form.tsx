'use client';

/** A destructive action that needs words typed out (a click alone is too easy): the field, its error, a danger button. */
import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, SubmitButton, TextField } from './form-parts';

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function TypedConfirmationForm({ action, words, submitLabel, hidden = {} }: { action: Action; words: string; submitLabel: string; hidden?: Record<string, string> }) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-3" noValidate>
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <FormError state={state} />
      <TextField
        id="confirmation"
        name="confirmation"
        label={
          <>
            Type <strong>{words}</strong> to confirm
          </>
        }
        autoComplete="off"
        errors={errors?.confirmation}
      />
      <div>
        <SubmitButton pending={pending} label={submitLabel} pendingLabel="Deleting…" tone="danger" />
      </div>
    </form>
  );
}
