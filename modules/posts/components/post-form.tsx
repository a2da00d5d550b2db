'use client';

/** Write or edit a post: field errors beside their fields, a pending state, a confirmation. */
import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/authed-action';
import { FieldError, FormMessage, inputClass, SubmitButton } from '@/modules/cores/ui/form-parts';
import { POST_CONTENT_MAX, POST_TITLE_MAX } from '../src/interfaces/post.schema';

type PostAction = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function PostForm({
  action,
  postId,
  initial,
  submitLabel,
  pendingLabel,
}: {
  action: PostAction;
  postId?: string;
  initial?: { title: string; content: string };
  submitLabel: string;
  pendingLabel: string;
}) {
  const [state, formAction, pending] = useActionState(action, { status: 'idle' } as ActionState);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  // After an error the form shows what was sent; after a success (new post) it starts empty.
  const values = state.status === 'error' ? state.values : state.status === 'success' ? { title: '', content: '' } : initial;
  const formKey = state.status === 'success' ? state.at : 'form';
  const idPrefix = postId ? `post-${postId}` : 'new-post';

  return (
    <form key={formKey} action={formAction} className="flex flex-col gap-4" noValidate>
      {postId ? <input type="hidden" name="postId" value={postId} /> : null}
      {state.status === 'error' && state.formError ? <FormMessage tone="error">{state.formError}</FormMessage> : null}
      {state.status === 'success' ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <div>
        <label htmlFor={`${idPrefix}-title`} className="block text-sm font-medium text-slate-800">
          Title
        </label>
        <input
          id={`${idPrefix}-title`}
          name="title"
          defaultValue={values?.title ?? ''}
          maxLength={POST_TITLE_MAX * 2}
          aria-invalid={Boolean(errors?.title)}
          aria-describedby={errors?.title ? `${idPrefix}-title-error` : `${idPrefix}-title-hint`}
          className={inputClass}
        />
        <p id={`${idPrefix}-title-hint`} className="mt-1 text-xs text-slate-600">
          Up to {POST_TITLE_MAX} characters.
        </p>
        <FieldError id={`${idPrefix}-title-error`} messages={errors?.title} />
      </div>
      <div>
        <label htmlFor={`${idPrefix}-content`} className="block text-sm font-medium text-slate-800">
          Content
        </label>
        <textarea
          id={`${idPrefix}-content`}
          name="content"
          rows={6}
          defaultValue={values?.content ?? ''}
          aria-invalid={Boolean(errors?.content)}
          aria-describedby={errors?.content ? `${idPrefix}-content-error` : `${idPrefix}-content-hint`}
          className={inputClass}
        />
        <p id={`${idPrefix}-content-hint`} className="mt-1 text-xs text-slate-600">
          Up to {POST_CONTENT_MAX.toLocaleString('en-US')} characters.
        </p>
        <FieldError id={`${idPrefix}-content-error`} messages={errors?.content} />
      </div>
      <div>
        <SubmitButton pending={pending} label={submitLabel} pendingLabel={pendingLabel} />
      </div>
    </form>
  );
}
