/** One post, whole, with the controls its reader may use (Edit, Delete); user text rendered as text. */
import Link from 'next/link';
import type { ActionState } from '@/modules/cores/actions/action-state';
import type { PostWithAuthor } from '../src/services/posts.service';
import { DeletePostForm } from './delete-post-form';
import { formatDate } from './post-list';

type DeleteAction = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function PostArticle({
  post,
  context,
  editHref,
  deleteForm,
}: {
  post: PostWithAuthor;
  /** The space it is in, when not the author's personal one. */
  context?: string;
  editHref: string | null;
  deleteForm: { action: DeleteAction; organizationId?: string } | null;
}) {
  return (
    <>
      <article className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-2xl font-bold tracking-tight break-words">{post.title}</h1>
        <p className="mt-1 text-sm text-slate-600">
          by {post.user.name ?? 'Anonymous'}
          {context ? <> in {context}</> : null} · <time dateTime={post.createdAt.toISOString()}>{formatDate(post.createdAt)}</time>
        </p>
        <div className="mt-4 whitespace-pre-line break-words text-slate-800" data-testid="post-content">
          {post.content}
        </div>
      </article>
      {editHref || deleteForm ? (
        <div className="flex flex-wrap items-center gap-3">
          {editHref ? (
            <Link href={editHref} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Edit
            </Link>
          ) : null}
          {deleteForm ? <DeletePostForm action={deleteForm.action} postId={post.id} title={post.title} organizationId={deleteForm.organizationId} /> : null}
        </div>
      ) : null}
    </>
  );
}
