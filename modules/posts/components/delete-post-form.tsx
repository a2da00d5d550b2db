'use client';

/** Delete a post, after a second, explicit confirmation. */
import { useActionState, useState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, SubmitButton } from '@/modules/cores/ui/form-parts';

type DeleteAction = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function DeletePostForm({ action, postId, title, organizationId }: { action: DeleteAction; postId: string; title: string; organizationId?: string }) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button
        type="button"
        onClick={() => setConfirming(true)}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        Delete
      </button>
    );
  }
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-2" aria-label={`Delete "${title}"`}>
      <input type="hidden" name="postId" value={postId} />
      {organizationId ? <input type="hidden" name="organizationId" value={organizationId} /> : null}
      <FormError state={state} />
      <span className="text-sm text-slate-700">Delete this post for good?</span>
      <SubmitButton pending={pending} label="Yes, delete" pendingLabel="Deleting…" tone="danger" />
      <button type="button" onClick={() => setConfirming(false)} className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
        Cancel
      </button>
    </form>
  );
}
