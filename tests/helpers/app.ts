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
}

/** `next start` with `env`, once it answers. */
export async function startApp(env: Record<string, string>, options: AppOptions = {}): Promise<RunningApp> {
  const port = options.port ?? (await freePort());
  const nextCli = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
  // Not -H 127.0.0.1: Next 16 then loops on rewrites to its own URL (FACTS.md).
  const [command, args] = options.viaNpmStart ? ['npm', ['start']] : [process.execPath, [nextCli, 'start', '--port', String(port)]];
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', PORT: String(port), ...(options.distDir ? { NEXT_DIST_DIR: options.distDir } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stopping it stops the server it forks too
  });
  if (child.pid) stopWithParent(child.pid);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://localhost:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) }).then(
      () => true,
      () => false,
    );
    if (ready) break;
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
