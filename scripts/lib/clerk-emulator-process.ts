/**
 * Start the local Clerk emulator in its own process (as `npm run dev` and the
 * tests do) and hand back its URL, keys, and the environment that points the
 * app at it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type ContractReport, violationsMessage } from '../../tools/clerk-emulator/src/contract/contract';
import { CONTROL_TOKEN_HEADER } from '../../tools/clerk-emulator/src/routes/control';
import { ROOT } from './paths';
import { stopProcess } from './processes';
import { stopWithParent } from './watchdog';

export interface EmulatorProcessOptions {
  port: number;
  dataDir: string | null;
  appUrl: string;
  webhookUrl: string | null;
  tokenTtlSeconds: number;
  webhookRetryBaseMs?: number;
  /** Delay every Backend API answer by this much (benchmarks: Clerk is a network call away). */
  backendApiLatencyMs?: number;
  /** A larger heap for millions of emulated users (benchmarks). */
  heapMb?: number;
  /**
   * The instance's "Allow personal accounts" (Clerk's default once Organizations are on: off), told
   * to both the emulator and, through `appEnv`, the app, which must match it.
   */
  allowPersonalAccounts: boolean;
  /** Where its log lines go; default: inherited stdout/stderr. */
  output?: 'inherit' | 'pipe';
}

export interface EmulatorProcess {
  url: string;
  /** Required by the emulator's control API (`x-emulator-control-token`): a new one every run. */
  controlToken: string;
  /** The Clerk instance id the emulator reports. */
  instanceId: string;
  publishableKey: string;
  secretKey: string;
  jwtKey: string;
  webhookSecret: string;
  /** Environment for the app: Clerk keys and the emulator seam. */
  appEnv: Record<string, string>;
  output(): string;
  stop(): Promise<void>;
}

const READY = 'CLERK_EMULATOR_READY ';

async function contractReport(url: string, controlToken: string): Promise<ContractReport | null> {
  try {
    const response = await fetch(`${url}/_control/contract`, { headers: { [CONTROL_TOKEN_HEADER]: controlToken }, signal: AbortSignal.timeout(5_000) });
    return response.ok ? ((await response.json()) as ContractReport) : null;
  } catch {
    return null;
  }
}

export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorProcess> {
  // tsx as a loader in this very process (not its CLI, which puts a parent in between that may
  // SIGKILL a child slow to acknowledge a signal): a stop is a clean stop, state saved.
  const args = [
    ...(options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : []),
    '--import',
    'tsx',
    path.join(ROOT, 'tools', 'clerk-emulator', 'main.ts'),
    '--port', String(options.port),
    '--app-url', options.appUrl,
    '--token-ttl', String(options.tokenTtlSeconds),
    '--personal-accounts', options.allowPersonalAccounts ? 'on' : 'off',
    ...(options.dataDir ? ['--data-dir', options.dataDir] : []),
    ...(options.webhookUrl ? ['--webhook-url', options.webhookUrl] : []),
    ...(options.webhookRetryBaseMs !== undefined ? ['--webhook-retry-base-ms', String(options.webhookRetryBaseMs)] : []),
    ...(options.backendApiLatencyMs ? ['--latency-ms', String(options.backendApiLatencyMs)] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) stopWithParent(child.pid);
  let log = '';
  const relay = options.output !== 'pipe';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (relay) process.stderr.write(chunk);
  });

  const ready = await new Promise<Omit<EmulatorProcess, 'appEnv' | 'output' | 'stop'>>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log += text;
      buffer += text;
      const line = buffer.split('\n').find((candidate) => candidate.startsWith(READY));
      if (line) resolve(JSON.parse(line.slice(READY.length)) as Omit<EmulatorProcess, 'appEnv' | 'output' | 'stop'>);
      else if (relay) process.stdout.write(chunk);
    });
    child.once('exit', (code) => reject(new Error(`The Clerk emulator exited with ${code} while starting:\n${log}`)));
  });

  return {
    ...ready,
    appEnv: {
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: ready.publishableKey,
      CLERK_SECRET_KEY: ready.secretKey,
      CLERK_API_URL: ready.url,
      CLERK_JWT_KEY: ready.jwtKey,
      CLERK_WEBHOOK_SIGNING_SECRET: ready.webhookSecret,
      CLERK_EMULATOR_URL: ready.url,
      // The explicit opt-in without which the app refuses the emulator's configuration.
      CLERK_EMULATOR_ALLOWED: 'true',
      CLERK_ALLOW_PERSONAL_ACCOUNTS: String(options.allowPersonalAccounts),
      APP_URL: options.appUrl,
    },
    output: () => log,
    async stop() {
      // In `enforce` mode (the tests), what drifted from Clerk's contract fails the stop, so the test that started it fails.
      const report = child.exitCode === null ? await contractReport(ready.url, ready.controlToken) : null;
      await stopProcess(child, { graceMs: 5_000 });
      if (report?.mode === 'enforce' && report.violations.length > 0) throw new Error(violationsMessage(report.violations));
    },
  };
}
