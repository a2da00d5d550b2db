/**
 * The app never imports the Clerk emulator (tools/clerk-emulator): not in
 * the import graph of its sources (the routes, the proxy, instrumentation),
 * not among the modules of the production build, not among the files that
 * build's traces say a deployment needs. Each check first finds what it must
 * find, so that an empty answer cannot pass for a clean one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/paths';

const EMULATOR_DIR = path.join(ROOT, 'tools', 'clerk-emulator');
const inEmulator = (file: string) => file.startsWith(`${EMULATOR_DIR}${path.sep}`);

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(full, keep) : keep(full) ? [full] : [];
  });
}

/** The file an import specifier of `from` names, for our own modules (`@/…` or relative); null for packages. */
function resolveImport(specifier: string, from: string): string | null {
  const base = specifier.startsWith('@/') ? path.join(ROOT, specifier.slice(2)) : specifier.startsWith('.') ? path.resolve(path.dirname(from), specifier) : null;
  if (!base) return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`${path.relative(ROOT, from)} imports ${specifier}, which does not resolve`);
}

/** Every source file reachable from `entries` through static and dynamic imports (TypeScript's own reading: comments do not count). */
function importGraph(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      const target = resolveImport(fileName, file);
      if (target && /\.tsx?$/.test(target)) queue.push(target);
    }
  }
  return seen;
}

describe('the app never imports the emulator', () => {
  it('in its sources: nothing the routes, the proxy or instrumentation import reaches tools/clerk-emulator', () => {
    const entries = [
      ...filesUnder(path.join(ROOT, 'app'), (file) => /\.tsx?$/.test(file)),
      ...['proxy.ts', 'instrumentation.ts', 'instrumentation-node.ts'].map((file) => path.join(ROOT, file)),
    ];
    const graph = importGraph(entries);
    // What the app is made of is in it.
    for (const file of ['modules/cores/clerk/clerk-config.ts', 'modules/cores/env/clerk-emulator-identity.ts', 'modules/auth/components/auth-ui.tsx']) {
      expect(graph.has(path.join(ROOT, file)), file).toBe(true);
    }
    expect([...graph].filter(inEmulator).map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it('in the production build: no module of the emulator among those the server bundles hold', () => {
    // Every module compiled into a server bundle (the client components' server renderings included) is a source of its map.
    const maps = filesUnder(path.join(ROOT, '.next', 'server'), (file) => file.endsWith('.js.map'));
    const modules = new Set(
      maps.flatMap((map) => {
        const { sources = [], sections = [] } = JSON.parse(readFileSync(map, 'utf8')) as { sources?: string[]; sections?: { map: { sources?: string[] } }[] };
        return [...sources, ...sections.flatMap((section) => section.map.sources ?? [])].map((source) => path.resolve(path.dirname(map), source));
      }),
    );
    for (const file of ['modules/cores/clerk/clerk-config.ts', 'modules/cores/env/clerk-emulator-identity.ts', 'proxy.ts', 'instrumentation-node.ts', 'modules/auth/components/space-menu.tsx']) {
      expect(modules, file).toContain(path.join(ROOT, file));
    }
    expect([...modules].filter(inEmulator).map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it('in what a deployment ships: no file of the emulator in the build\'s traces (.next/server/**/*.nft.json)', () => {
    const traces = filesUnder(path.join(ROOT, '.next', 'server'), (file) => file.endsWith('.nft.json'));
    const shipped = new Set(
      traces.flatMap((trace) => (JSON.parse(readFileSync(trace, 'utf8')) as { files: string[] }).files.map((file) => path.resolve(path.dirname(trace), file))),
    );
    expect(shipped).toContain(path.join(ROOT, 'node_modules', '@prisma', 'adapter-pg', 'package.json'));
    expect([...shipped].filter(inEmulator).map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});
