/** Lists of posts: user text is rendered as text (React escapes it), never as HTML. */
import Link from 'next/link';
import type { Page } from '@/modules/cores/pagination';
import type { PostSummary, PostWithAuthor } from '../src/services/posts.service';

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export function formatDate(date: Date): string {
  return `${dateFormat.format(date)} UTC`;
}

function excerpt(content: string): string {
  return content.length > 240 ? `${content.slice(0, 240)}…` : content;
}

export function PostList({
  page,
  emptyText,
  olderHref,
  postHref = (id) => `/posts/${id}`,
}: {
  page: Page<PostSummary | PostWithAuthor>;
  emptyText: string;
  olderHref: (cursor: string) => string;
  /** Where a post's page is: its space's (`/posts/<id>`, or `/orgs/<slug>/posts/<id>`). */
  postHref?: (id: string) => string;
}) {
  if (page.items.length === 0) {
    return <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-slate-600">{emptyText}</p>;
  }
  return (
    <div className="flex flex-col gap-4">
      <ul className="flex flex-col gap-3" data-testid="post-list">
        {page.items.map((post) => (
          <li key={post.id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h3 className="text-lg font-semibold break-words">
              <Link href={postHref(post.id)} className="text-slate-900 hover:text-indigo-700 hover:underline">
                {post.title}
              </Link>
            </h3>
            <p className="mt-1 text-xs text-slate-600">
              {'user' in post ? <>by {post.user.name ?? 'Anonymous'} · </> : null}
              <time dateTime={post.createdAt.toISOString()}>{formatDate(post.createdAt)}</time>
            </p>
            <p className="mt-2 text-sm whitespace-pre-line break-words text-slate-800">{excerpt(post.content)}</p>
          </li>
        ))}
      </ul>
      {page.nextCursor ? (
        <Link href={olderHref(page.nextCursor)} className="self-start rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
          Older posts →
        </Link>
      ) : null}
    </div>
  );
}
