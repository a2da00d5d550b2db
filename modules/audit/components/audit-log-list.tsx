/** An organization's audit log: who did what to whom, when, and who impersonated them. Ids where we hold no name (or the person was erased). */
import Link from 'next/link';
import type { Page } from '@/modules/cores/pagination';
import { roleLabel } from '@/modules/organizations/src/interfaces/organization.limits';
import { formatDate } from '@/modules/posts/components/post-list';
import { ERASED_PREFIX } from '../src/services/audit-log.service';
import type { AuditLogItem, AuditPerson } from '../src/services/organization-audit.service';

const person = (who: AuditPerson) => who.name ?? (who.clerkUserId.startsWith(ERASED_PREFIX) ? `an erased account (${who.clerkUserId})` : who.clerkUserId);

const role = (value: unknown) => roleLabel(String(value ?? '?'));

/** The act in words, naming its target. */
function what(item: AuditLogItem): string {
  const target = item.target ? (item.target.type === 'user' ? person({ clerkUserId: item.target.id, name: item.target.name }) : item.target.id) : null;
  switch (item.action) {
    case 'invitation.sent':
      return `sent invitation ${target} (as ${role(item.details.role)})`;
    case 'invitation.revoked':
      return `revoked invitation ${target}`;
    case 'membership.role_changed':
      return `changed the role of ${target} from ${role(item.details.from)} to ${role(item.details.to)}`;
    case 'membership.removed':
      return `removed ${target} (${role(item.details.role)})`;
    case 'organization.deleted':
      return 'deleted the organization';
    default:
      return target ? `${item.action} ${target}` : item.action;
  }
}

export function AuditLogList({ page, olderHref }: { page: Page<AuditLogItem>; olderHref: (cursor: string) => string }) {
  if (page.items.length === 0) {
    return <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-slate-600">Nothing has been recorded yet.</p>;
  }
  return (
    <div className="flex flex-col gap-4">
      <ol className="flex flex-col gap-2" data-testid="audit-log">
        {page.items.map((item) => (
          <li key={item.id} className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm" data-action={item.action}>
            <p className="break-words text-slate-900">
              <strong>{person(item.actor)}</strong> {what(item)}
            </p>
            <p className="mt-1 text-xs text-slate-600">
              <time dateTime={item.createdAt.toISOString()}>{formatDate(item.createdAt)}</time>
              {item.impersonator ? (
                <span className="ml-2 font-semibold text-amber-800" data-testid="audit-impersonator">
                  impersonated by {person(item.impersonator)}
                </span>
              ) : null}
            </p>
          </li>
        ))}
      </ol>
      {page.nextCursor ? (
        <Link href={olderHref(page.nextCursor)} className="self-start rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
          Older events →
        </Link>
      ) : null}
    </div>
  );
}
