'use client';

/** The operator console's forms: replay one delivery, replay every failed one, a reconcile dry run. */
import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, FormMessage, SubmitButton } from '@/modules/cores/ui/form-parts';

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const useAction = (action: Action) => useActionState(action, { status: 'idle' } as ActionState);

function Messages({ state }: { state: ActionState }) {
  if (state.status === 'error') return <FormError state={state.formError ? state : { ...state, formError: Object.values(state.fieldErrors ?? {}).flat().join(' ') }} />;
  if (state.status === 'success') return <FormMessage tone="success">{state.message}</FormMessage>;
  return null;
}

export function ReplayDeliveryForm({ action, svixId }: { action: Action; svixId: string }) {
  const [state, formAction, pending] = useAction(action);
  return (
    <form action={formAction} className="flex flex-col gap-2" aria-label={`Replay ${svixId}`}>
      <input type="hidden" name="svixId" value={svixId} />
      <div>
        <SubmitButton pending={pending} label="Replay" pendingLabel="Replaying…" />
      </div>
      <Messages state={state} />
    </form>
  );
}

/** Stays on the page with none left, so that what the last replay did stays in view. */
export function ReplayFailedForm({ action, count }: { action: Action; count: number }) {
  const [state, formAction, pending] = useAction(action);
  return (
    <form action={formAction} className="flex flex-col gap-2" aria-label="Replay every failed delivery">
      {count > 0 ? (
        <div>
          <SubmitButton pending={pending} label={`Replay all ${count} failed`} pendingLabel="Replaying…" />
        </div>
      ) : null}
      <Messages state={state} />
    </form>
  );
}

export function ReconcileDryRunForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useAction(action);
  return (
    <form action={formAction} className="flex flex-col gap-2" aria-label="Reconcile dry run">
      <div>
        <SubmitButton pending={pending} label="Dry run now" pendingLabel="Running…" />
      </div>
      <Messages state={state} />
    </form>
  );
}
