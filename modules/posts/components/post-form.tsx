'use client';

/** Write or edit a post: field errors beside their fields, a pending state, a confirmation. */
import { useActionState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, FormMessage, SubmitButton, TextField } from '@/modules/cores/ui/form-parts';
import { POST_CONTENT_MAX, POST_TITLE_MAX } from '../src/interfaces/post.limits';

type PostAction = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function PostForm({
  action,
  postId,
  organizationId,
  initial,
  submitLabel,
  pendingLabel,
  contentMax = POST_CONTENT_MAX,
}: {
  action: PostAction;
  postId?: string;
  /** The organization the post is (to be) in; none for the personal space. */
  organizationId?: string;
  initial?: { title: string; content: string };
  submitLabel: string;
  pendingLabel: string;
  /** The longest post allowed here (an organization's plan may allow less than any post may be). */
  contentMax?: number;
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
      {organizationId ? <input type="hidden" name="organizationId" value={organizationId} /> : null}
      <FormError state={state} />
      {state.status === 'success' ? <FormMessage tone="success">{state.message}</FormMessage> : null}
      <TextField
        id={`${idPrefix}-title`}
        name="title"
        label="Title"
        hint={`Up to ${POST_TITLE_MAX} characters.`}
        errors={errors?.title}
        defaultValue={values?.title ?? ''}
        maxLength={POST_TITLE_MAX * 2}
      />
      <TextField
        id={`${idPrefix}-content`}
        name="content"
        label="Content"
        hint={`Up to ${contentMax.toLocaleString('en-US')} characters.`}
        errors={errors?.content}
        defaultValue={values?.content ?? ''}
        multiline
        rows={6}
      />
      <div>
        <SubmitButton pending={pending} label={submitLabel} pendingLabel={pendingLabel} />
      </div>
    </form>
  );
}
