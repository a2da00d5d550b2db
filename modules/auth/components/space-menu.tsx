'use client';

/**
 * Emulator mode's space switcher (Clerk's <OrganizationSwitcher/> cannot
 * load offline): the personal space and each organization the user is a
 * member of, from our database, the current one marked by the URL (which
 * decides the space). Plain links, not client-side navigations: a document
 * request lets Clerk's middleware move the session's active organization to
 * the one the URL names (organizationSyncOptions), as setActive would.
 */
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';

export interface Space {
  name: string;
  slug: string;
}

const itemClass = 'block rounded-md px-2 py-1.5 text-sm text-slate-800 hover:bg-slate-100 aria-[current=page]:bg-indigo-50 aria-[current=page]:font-semibold aria-[current=page]:text-indigo-800';

/**
 * `offerPersonal`: the instance has personal accounts, so the personal space is one of the choices.
 * `sessionOrgSlug`: the session's active organization (its token's claim).
 */
export function SpaceMenu({ spaces, offerPersonal, sessionOrgSlug }: { spaces: Space[]; offerPersonal: boolean; sessionOrgSlug: string | null }) {
  const pathname = usePathname() ?? '';
  const currentSlug = /^\/orgs\/([^/]+)/.exec(pathname)?.[1];
  const current = spaces.find((space) => space.slug === currentSlug);
  // The header's list and the page are read at once: on the first visit after joining, the page may
  // store the membership (from the session's claim, before its webhook) after the list was read. The
  // session says this is one of theirs and the list lacks it: read the server's components again,
  // once for this organization.
  const router = useRouter();
  const refreshedFor = useRef<string | null>(null);
  const listLagsSession = currentSlug !== undefined && currentSlug === sessionOrgSlug && !current;
  useEffect(() => {
    if (!listLagsSession || refreshedFor.current === currentSlug) return;
    refreshedFor.current = currentSlug!;
    router.refresh();
  }, [listLagsSession, currentSlug, router]);
  const personal = !currentSlug && (pathname.startsWith('/dashboard') || pathname.startsWith('/posts'));
  return (
    <details className="relative">
      <summary data-testid="space-switcher" className="cursor-pointer list-none rounded-md border border-slate-200 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600">
        <span className="sr-only">Space: </span>
        {current?.name ?? (offerPersonal ? 'Personal' : 'Organizations')} <span aria-hidden="true">▾</span>
      </summary>
      <div className="absolute left-0 z-10 mt-2 w-64 rounded-lg border border-slate-200 bg-white p-2 shadow-lg">
        <ul aria-label="Spaces" className="flex flex-col gap-1">
          {offerPersonal ? (
            <li>
              <a href="/dashboard" aria-current={personal ? 'page' : undefined} className={itemClass}>
                Personal
              </a>
            </li>
          ) : null}
          {spaces.map((space) => (
            <li key={space.slug}>
              <a href={`/orgs/${space.slug}`} aria-current={space.slug === currentSlug ? 'page' : undefined} className={itemClass}>
                {space.name}
              </a>
            </li>
          ))}
        </ul>
        <a href="/organizations/new" className="mt-2 block border-t border-slate-200 px-2 pt-2 text-sm font-medium text-indigo-700 hover:underline">
          + New organization
        </a>
      </div>
    </details>
  );
}
