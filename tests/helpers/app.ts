/**
 * The real app over HTTP: `next start` on a free port with a given
 * environment. Needs the production build that the global setup ensures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { ROOT } from '../../scripts/lib/paths';
import { stopProcess } from '../../scripts/lib/processes';
import { stopWithParent } from '../../scripts/lib/watchdog';

export interface RunningApp {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export interface AppOptions {
  port?: number;
  /** Another build's directory (a separately built instance). */
  distDir?: string;
  /** Start it with `npm start` (and PORT), as docs/deploy.md does, instead of Next's CLI directly. */
  viaNpmStart?: boolean;
  /** Node's own flags for the server (benchmarks: `--cpu-prof` to see where the time goes). */
  nodeArgs?: string[];
  /** Another checkout of the app, built (benchmarks: another commit, bench/lib/baseline-build.ts); this one by default. */
  root?: string;
  /** Keep only the output up to "ready" (benchmarks: a log line per request would pile up here). */
  keepOutputAfterReady?: boolean;
}

/** The port was taken between choosing it and binding it (another test worker, another program). */
export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

/**
 * `next start` with `env`, once *it* answers: its own "Ready" line, then its
 * port. (Any answer on the port alone could come from another process.) A
 * port taken meanwhile is a `PortTakenError`; without a given port, another
 * is tried.
 */
export async function startApp(env: Record<string, string>, options: AppOptions = {}): Promise<RunningApp> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAppOnce(env, { ...options, port: options.port ?? (await freePort()) });
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startAppOnce(env: Record<string, string>, options: AppOptions & { port: number }): Promise<RunningApp> {
  const { port } = options;
  const root = options.root ?? ROOT;
  const nextCli = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
  // Not -H 127.0.0.1: Next 16 then loops on rewrites to its own URL (FACTS.md).
  const [command, args] = options.viaNpmStart ? ['npm', ['start']] : [process.execPath, [...(options.nodeArgs ?? []), nextCli, 'start', '--port', String(port)]];
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', PORT: String(port), ...(options.distDir ? { NEXT_DIST_DIR: options.distDir } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stopping it stops the server it forks too
  });
  if (child.pid) stopWithParent(child.pid);
  let output = '';
  let keep = true;
  const collect = (chunk: Buffer) => {
    if (keep) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://localhost:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (/EADDRINUSE/.test(output)) throw new PortTakenError(`port ${port} was taken:\n${output}`);
      throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
    }
    const ready =
      /Ready in/.test(output) &&
      // A static file: it answers whatever state the database is in.
      (await fetch(`${url}/favicon.ico`, { signal: AbortSignal.timeout(2_000) }).then(
        () => true,
        () => false,
      ));
    // It may still exit (a bad environment is found at start): only a live server that answered is ready.
    if (ready && child.exitCode === null) {
      keep = options.keepOutputAfterReady ?? true;
      break;
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`next start did not answer within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    output: () => output,
    stop: () => stopProcess(child, { group: true }),
  };
}
