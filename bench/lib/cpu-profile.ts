/**
 * Where a server's CPU time goes, from a V8 `.cpuprofile` (`node
 * --cpu-prof`): every sample is charged to the nearest frame on its stack
 * that belongs to a known owner (our code, Next.js, Prisma's client, the pg
 * driver, standardwebhooks, zod, pino, React), except V8's JSON.parse and
 * JSON.stringify, which are counted apart; so that time spent inside
 * Node's internals (crypto, streams, sockets) counts for whoever called
 * them; what no owner called is Node's own (HTTP parsing, timers), and GC,
 * idle and V8's "(program)" are kept apart. Frames in Next's server bundles
 * are mapped back to their original files through the build's source maps
 * (Node's own `SourceMap`), so bundled packages are told apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

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
  ['our code', /^(\.\.\/)+(modules|app|proxy\.ts|instrumentation)/],
];
/** Outside every owner: V8 and Node's own work. */
const SPECIAL: Record<string, string> = { '(garbage collector)': 'GC', '(idle)': 'idle', '(program)': 'V8 (program)', '(root)': 'V8 (program)' };
const NODE_OWN = 'Node.js itself (HTTP, sockets, timers)';
/** V8's JSON.parse and JSON.stringify, whoever calls them: the body, the payload, the answer, the log line. */
const JSON_WORK = 'JSON (parse, stringify)';

/**
 * Original source of a frame: a file of a package (`node_modules/...`, loaded
 * as it is) is its own; a frame of Next's build output is mapped through the
 * chunk's source map (cached per chunk) to the module it was bundled from.
 */
function sourceMapper() {
  const maps = new Map<string, SourceMap | null>();
  return (frame: CallFrame): string => {
    if (!frame.url.startsWith('file://')) return frame.url;
    const file = fileURLToPath(frame.url);
    if (file.includes('/node_modules/')) return file;
    if (!maps.has(file)) {
      const mapFile = `${file}.map`;
      maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null);
    }
    const map = maps.get(file);
    if (!map) return file;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
    return entry.originalSource ? decodeURIComponent(entry.originalSource) : file;
  };
}

export interface ProfileSummary {
  /** Sampled time in all, ms. */
  totalMs: number;
  /** Milliseconds by owner, largest first. */
  byOwner: { owner: string; ms: number; share: number }[];
  /** The hottest frames of our own code and of each owner (self time, ms), for a closer look. */
  hottest: { owner: string; frame: string; ms: number }[];
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const original = sourceMapper();
  const ownerOfNode = new Map<number, string | null>();
  const frameOwner = (node: ProfileNode): string | null => {
    if (ownerOfNode.has(node.id)) return ownerOfNode.get(node.id)!;
    const source = original(node.callFrame);
    const owner = OWNERS.find(([, pattern]) => pattern.test(source))?.[0] ?? null;
    ownerOfNode.set(node.id, owner);
    return owner;
  };
  const chargedTo = new Map<number, string>();
  const ownerOfSample = (id: number): string => {
    const cached = chargedTo.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!;
    const json = leaf.callFrame.url === '' && (leaf.callFrame.functionName === 'parse' || leaf.callFrame.functionName === 'stringify');
    let owner: string = json ? JSON_WORK : (SPECIAL[leaf.callFrame.functionName] ?? NODE_OWN);
    if (!json && !SPECIAL[leaf.callFrame.functionName]) {
      for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
        const found = frameOwner(byId.get(current)!);
        if (found) {
          owner = found;
          break;
        }
      }
    }
    chargedTo.set(id, owner);
    return owner;
  };
  const ms = new Map<string, number>();
  const self = new Map<string, number>();
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += delta;
    const id = profile.samples[i]!;
    const owner = ownerOfSample(id);
    ms.set(owner, (ms.get(owner) ?? 0) + delta);
    const node = byId.get(id)!;
    const key = `${owner}\u0000${node.callFrame.functionName || '(anonymous)'} ${original(node.callFrame).replace(/^.*node_modules\//, '').replace(/^.*\[project\]\//, '')}:${node.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + delta);
  }
  return {
    totalMs,
    byOwner: [...ms].sort((a, b) => b[1] - a[1]).map(([owner, value]) => ({ owner, ms: value, share: value / totalMs })),
    hottest: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([key, value]) => {
        const [owner, frame] = key.split('\u0000') as [string, string];
        return { owner, frame, ms: value };
      }),
  };
}
