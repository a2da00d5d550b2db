/**
 * Server actions over HTTP, as a browser's form sends them (or an attacker
 * replaying one): the action's id from the build's manifest, the arguments
 * encoded as React's `encodeReply` encodes `(previousState, formData)`, the
 * session's cookies and our Origin.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';
import type { CookieJar } from './cookie-jar';

interface ManifestEntry {
  exportedName?: string;
  filename?: string;
  workers: Record<string, unknown>;
}

const PRODUCTION_BUILD = path.join(ROOT, '.next');
const manifests = new Map<string, Record<string, ManifestEntry>>();

/** The build's manifest, read once (a `next dev` server's grows as pages compile: read it fresh). */
function buildManifest(buildDir: string, fresh: boolean): Record<string, ManifestEntry> {
  if (fresh || !manifests.has(buildDir)) {
    manifests.set(buildDir, (JSON.parse(readFileSync(path.join(buildDir, 'server', 'server-reference-manifest.json'), 'utf8')) as { node: Record<string, ManifestEntry> }).node);
  }
  return manifests.get(buildDir)!;
}

export interface BuiltAction {
  id: string;
  /** Relative to the root, e.g. `app/orgs/actions.ts`, or in `node_modules/` for a library's. */
  file: string;
  name: string;
  /** The pages whose forms may call it, as the build lists them (`app/account/page`). */
  pages: string[];
}

/** Every server action in the production build (or in `buildDir`, e.g. a `next dev` server's `.next/dev`). */
export function builtActions(buildDir = PRODUCTION_BUILD): BuiltAction[] {
  return Object.entries(buildManifest(buildDir, buildDir !== PRODUCTION_BUILD)).map(([id, entry]) => ({
    id,
    file: entry.filename?.replace(/^\.\//, '') ?? '',
    name: entry.exportedName ?? '',
    pages: Object.keys(entry.workers),
  }));
}

/** The id of `exportedName` in `file` (relative to the root, e.g. `app/orgs/actions.ts`) in the production build. */
export function actionId(file: string, exportedName: string, buildDir = PRODUCTION_BUILD): string {
  const found = builtActions(buildDir).find((action) => action.name === exportedName && action.file === file);
  if (!found) throw new Error(`no server action ${exportedName} of ${file} in the build`);
  return found.id;
}

export interface ActionAnswer {
  status: number;
  /** The RSC payload: the action's state (messages), or the page it renders. */
  text: string;
  /** Where the action redirected, if it did. */
  redirect: string | null;
}

/** Post `fields` to the action (by file and name, or by id) from `page` (a path of the app) with `jar`'s session. */
export async function callAction(appUrl: string, jar: CookieJar, action: { file: string; name: string } | { id: string }, fields: Record<string, string>, page = '/dashboard'): Promise<ActionAnswer> {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) body.append(`_1_${key}`, value);
  body.append('0', JSON.stringify([{ status: 'idle' }, '$K1']));
  const response = await fetch(`${appUrl}${page}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), origin: appUrl, accept: 'text/x-component', 'next-action': 'id' in action ? action.id : actionId(action.file, action.name) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const redirect = response.headers.get('x-action-redirect');
  return { status: response.status, text: await response.text(), redirect: redirect ? redirect.split(';')[0]! : null };
}
