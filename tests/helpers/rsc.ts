/**
 * What a server-rendered page hands to the browser's React: the client
 * components in its React Server Components payload (the
 * `self.__next_f.push` scripts of the HTML), each with the module that
 * exports it (from the production build's client reference manifests) and the
 * props the server gave it. A client component that renders nothing on the
 * server (Clerk's, until clerk-js loads) is still named there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';

export interface ClientComponent {
  /** The exporting module, as the build names it: `[project]/node_modules/@clerk/nextjs/…`. */
  module: string;
  name: string;
  props: Record<string, unknown>;
}

let moduleIds: Map<string, string> | undefined;

/** Module id → module path, over every page's client reference manifest of the build in `.next`. */
function modulesOfBuild(): Map<string, string> {
  if (moduleIds) return moduleIds;
  moduleIds = new Map();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : entry.name.endsWith('_client-reference-manifest.js') ? [full] : [];
    });
  for (const file of walk(path.join(ROOT, '.next', 'server', 'app'))) {
    const source = readFileSync(file, 'utf8');
    const json = source.slice(source.indexOf('] = ') + 4).replace(/;\s*$/, '');
    const manifest = JSON.parse(json) as { clientModules: Record<string, { id: number | string }> };
    for (const [modulePath, { id }] of Object.entries(manifest.clientModules)) moduleIds.set(String(id), modulePath);
  }
  return moduleIds;
}

/** The RSC payload carried in a page's HTML. */
export function flightPayload(html: string): string {
  return [...html.matchAll(/self\.__next_f\.push\(\[1,("(?:[^"\\]|\\.)*")\]\)/g)].map((match) => JSON.parse(match[1]!) as string).join('');
}

/** Every client component the page renders, in payload order (flat props only: what these tests need). */
export function clientComponents(html: string): ClientComponent[] {
  const payload = flightPayload(html);
  const rows = new Map<string, string>();
  for (const line of payload.split('\n')) {
    const match = /^([0-9a-f]+):(.*)$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  const references = new Map<string, { module: string; name: string }>();
  for (const [id, row] of rows) {
    if (!row.startsWith('I[')) continue;
    const [moduleId, , exported] = JSON.parse(row.slice(1)) as [number | string, unknown, string];
    // A name used twice is written once, as its own row, and referenced ("$21").
    const name = exported.startsWith('$') ? (JSON.parse(rows.get(exported.slice(1)) ?? '""') as string) : exported;
    references.set(id, { module: modulesOfBuild().get(String(moduleId)) ?? `unknown module ${moduleId}`, name });
  }
  return [...payload.matchAll(/\["\$","\$L([0-9a-f]+)",null,(\{[^{}]*\})\]/g)].flatMap(([, id, props]) => {
    const reference = references.get(id!);
    return reference ? [{ ...reference, props: JSON.parse(props!) as Record<string, unknown> }] : [];
  });
}
