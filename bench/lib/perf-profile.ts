/**
 * Where a Node process's CPU time goes, from `perf record -g` of it (Linux
 * perf, sampling every thread, kernel and native code included, with the
 * JIT's symbols that `node --perf-basic-prof` writes). Each sample of the
 * main thread is charged to the nearest JavaScript frame on its stack whose
 * file belongs to a known owner (our code, Next.js, Prisma's client, the pg
 * driver, standardwebhooks, zod, pino, Clerk's SDK, React), so that native
 * work (V8's builtins, Node's bindings, the kernel) counts for whoever asked
 * for it; garbage collection and V8's optimising compiler, on any thread,
 * are counted apart, what no owner called is Node's own (HTTP parsing, the
 * event loop), and the rest of the other threads is one line. Frames of
 * Next's server bundles are mapped back to the modules they were bundled from
 * through the build's source maps (Node's own `SourceMap`).
 *
 * V8's own CPU profiler (`--cpu-prof`) was tried first and misleads here: it
 * charged a tenth of the samples to the native `writev` of the pg driver's
 * socket, which perf shows is a fortieth (the kernel's whole TCP send path
 * included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/** Owners in the order they are recognised, by the original source path of a frame. */
const OWNERS: [string, RegExp][] = [
  ['webhook verification (standardwebhooks, HMAC)', /node_modules\/(standardwebhooks|@stablelib|fast-sha256)\//],
  ['validation (zod)', /node_modules\/zod\//],
  ["Prisma's client (query compiler, adapter)", /(node_modules\/@prisma\/|generated\/prisma\/)/],
  ['pg driver', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|pgpass|postgres-[a-z]+)\//],
  ['log line (pino)', /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream|on-exit-leak-free|quick-format-unescaped|atomic-sleep|safe-stable-stringify|real-require)\//],
  ['Clerk SDK', /node_modules\/@clerk\//],
  ['React', /node_modules\/(react|react-dom|scheduler)\//],
  ['Next.js', /(node_modules\/(next|@next|@swc)\/|^turbopack:\/\/\/\[turbopack\]|\.next-internal\/)/],
  ['our code', /^(\.\.\/)+(modules|app|proxy\.ts|instrumentation)|^\/.*\/(modules|app)\/.*\.tsx?$/],
  ["the bare receiver's own code", /\/bench\/servers\//],
];
export const NODE_OWN = 'Node.js itself (HTTP parsing, streams, the event loop)';
export const GC = 'garbage collection (all threads)';
export const COMPILER = "V8's compiler (all threads: code still being optimised)";
export const OTHER_THREADS = "other threads (libuv's pool, V8's platform)";

/** `JS:*name /path/file.js:12:34` (perf-basic-prof's names): the file and the position of the function. */
const JS_FRAME = /^JS:[*~^]?(.*?) ((?:\/|node:)\S*?):(\d+):(\d+)$/;

function sourceMapper() {
  const maps = new Map<string, SourceMap | null>();
  return (file: string, line: number, column: number): string => {
    if (file.includes('/node_modules/') || !file.startsWith('/')) return file;
    if (!maps.has(file)) {
      const mapFile = `${file}.map`;
      maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null);
    }
    const entry = maps.get(file)?.findEntry(line - 1, column - 1) as { originalSource?: string } | undefined;
    return entry?.originalSource ? decodeURIComponent(entry.originalSource) : file;
  };
}

export interface PerfSummary {
  /** CPU milliseconds sampled in all threads. */
  totalMs: number;
  byOwner: { owner: string; ms: number }[];
  /** The JavaScript functions whose own frames (and the native work under them) took the most, ms, with the owner their samples were charged to. */
  hottest: { owner: string; frame: string; ms: number }[];
}

/**
 * Summarise `perf script -F tid,period,sym` output of a process whose main
 * thread is `pid`: CPU milliseconds by owner.
 */
export function summarisePerfScript(script: string, pid: number): PerfSummary {
  const original = sourceMapper();
  const ownerOfFrame = new Map<string, { owner: string | null; frame: string } | null>();
  const classify = (symbol: string) => {
    if (ownerOfFrame.has(symbol)) return ownerOfFrame.get(symbol)!;
    const match = JS_FRAME.exec(symbol);
    let result: { owner: string | null; frame: string } | null = null;
    if (match) {
      const [, name, file, line, column] = match as unknown as [string, string, string, string, string];
      const source = original(file, Number(line), Number(column));
      result = { owner: OWNERS.find(([, pattern]) => pattern.test(source))?.[0] ?? null, frame: `${name || '(anonymous)'} ${source.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '')}` };
    }
    ownerOfFrame.set(symbol, result);
    return result;
  };
  const byOwner = new Map<string, number>();
  const byFrame = new Map<string, number>();
  let totalMs = 0;
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  for (const block of script.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0) continue;
    const header = /^\s*(\d+)\s+(\d+)\s*$/.exec(lines[0]!);
    if (!header) continue;
    const tid = Number(header[1]);
    const ms = Number(header[2]) / 1e6; // cpu-clock periods are nanoseconds
    totalMs += ms;
    const frames = lines.slice(1).map((line) => line.trim().replace(/^[0-9a-f]+\s+/, ''));
    if (frames.some((frame) => /v8::internal::(Heap::|Scavenger|MarkCompact|ScavengerCollector|IncrementalMarking|MinorMarkSweep|ConcurrentMarking|MarkingVisitor|Sweeper)/.test(frame))) {
      add(byOwner, GC, ms);
      continue;
    }
    if (frames.some((frame) => /v8::internal::(compiler::|Compiler::|OptimizingCompileDispatcher|maglev::|baseline::)/.test(frame))) {
      add(byOwner, COMPILER, ms);
      continue;
    }
    if (tid !== pid) {
      add(byOwner, OTHER_THREADS, ms);
      continue;
    }
    let owner = NODE_OWN;
    let leafFunction: string | null = null;
    for (const frame of frames) {
      const known = classify(frame);
      if (!known) continue;
      leafFunction ??= known.frame;
      if (known.owner) {
        owner = known.owner;
        break;
      }
    }
    add(byOwner, owner, ms);
    if (leafFunction) add(byFrame, `${owner}\u0000${leafFunction}`, ms);
  }
  return {
    totalMs,
    byOwner: [...byOwner].sort((a, b) => b[1] - a[1]).map(([owner, ms]) => ({ owner, ms })),
    hottest: [...byFrame]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 300)
      .map(([key, ms]) => {
        const [owner, frame] = key.split('\u0000') as [string, string];
        return { owner, frame, ms };
      }),
  };
}
