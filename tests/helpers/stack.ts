/**
 * The whole system as a developer runs it: `next start` against this test
 * file's database and a local Clerk emulator in its own process, wired
 * together as `npm run dev` wires them.
 */
import { freePort } from '../../scripts/lib/postgres-cluster';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { PortTakenError, startApp, type RunningApp } from './app';
import { EmulatorControl } from './emulator-control';

export interface Stack {
  app: RunningApp;
  emulator: EmulatorProcess;
  control: EmulatorControl;
  stop(): Promise<void>;
}

export interface StackOptions {
  tokenTtlSeconds?: number;
  /** The instance's "Allow personal accounts" (default on here: most tests use the personal space; Clerk's default is off). */
  allowPersonalAccounts?: boolean;
  databaseUrl?: string;
  /** More of the app's environment, over the emulator's configuration: a misconfigured deployment (another instance's signing secret), `DATA_PRUNE_INTERVAL_MINUTES: '0'` where statements are counted. */
  env?: Record<string, string>;
  /** Runs once the emulator answers, before the app starts; answers more of the app's environment (the operators' Clerk ids, who must exist first). */
  beforeApp?: (control: EmulatorControl) => Promise<Record<string, string>>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(options);
    } catch (error) {
      // The app's port was taken between choosing it and binding it: the emulator knows that port, so both start again.
      if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
    }
  }
}

async function startStackOnce(options: StackOptions): Promise<Stack> {
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  const emulator = await startEmulatorProcess({
    port: 0,
    dataDir: null,
    appUrl,
    webhookUrl: `${appUrl}/api/webhooks/clerk`,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 300,
    webhookRetryBaseMs: 200,
    allowPersonalAccounts: options.allowPersonalAccounts ?? true,
    output: 'pipe',
  });
  const control = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
  let app: RunningApp;
  try {
    const more = options.beforeApp ? await options.beforeApp(control) : {};
    app = await startApp({ ...emulator.appEnv, DATABASE_URL: options.databaseUrl ?? process.env.DATABASE_URL!, LOG_LEVEL: 'info', ...options.env, ...more }, { port });
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return {
    app,
    emulator,
    control,
    async stop() {
      await app.stop();
      await emulator.stop();
    },
  };
}
