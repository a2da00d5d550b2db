/**
 * The whole app on one command, stopped by one Ctrl-C: `npm run dev` (with
 * `next dev`) and `npm run start:local` (the production build, `next start`).
 *
 * PostgreSQL (DATABASE_URL, or an embedded server with its data in .data/),
 * migrations applied; the local Clerk emulator unless real Clerk keys are
 * set; then the app. The banner comes once everything listens, and what runs
 * is recorded for the project's other commands (scripts/lib/dev-stack.ts).
 * On Ctrl-C or SIGTERM the app stops first, the emulator next and the
 * database last, with a clean shutdown so no data is lost and no process is
 * left behind. Every refusal says what to do: the stack already running, a
 * port taken (and the variable that moves it), a bad variable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { getToolEnv } from '../../modules/cores/env/env';
import { startEmulatorProcess } from './clerk-emulator-process';
import { devServerActionsKey } from './dev-server-actions-key';
import { forgetDevStack, recordDevStack, runningDevStack, type DevStack } from './dev-stack';
import { keepLocalDataPrivate } from './local-data';
import { openLocalDatabase, redactUrl } from './local-database';
import { DATA_DIR, ROOT } from './paths';
import { stopProcess } from './processes';
import { buildIsFresh, runBuild } from './production-build';
import { applyMigrations } from './schema-engine';

export type StackCommand = DevStack['command'];

/** Whether anything accepts connections on `port` (any address), or would refuse us binding it. */
async function portTaken(port: number): Promise<boolean> {
  const answers = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: 'localhost' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (answers) return true;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Resolves once `port` accepts connections; rejects if `child` exits first. */
async function listening(port: number, child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the app exited (${child.exitCode ?? child.signalCode}) before it listened`);
    if (await portTaken(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app did not listen on port ${port} within ${timeoutMs / 1000} s`);
}

function refuse(message: string): never {
  console.error(message);
  process.exit(1);
}

export async function runLocalStack(command: StackCommand): Promise<void> {
  const env = getToolEnv();
  const useEmulator = !(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY && env.CLERK_SECRET_KEY);

  const running = runningDevStack();
  if (running) {
    refuse(
      `${running.command} is already running for this checkout (pid ${running.pid}, since ${running.startedAt}): the app is at ${running.appUrl}. ` +
        `Use it, or stop it first (Ctrl-C where it runs, or kill ${running.pid}).`,
    );
  }
  if (await portTaken(env.PORT)) {
    refuse(`Port ${env.PORT} is taken by another program, so the app cannot listen there. Set PORT to a free port, e.g. PORT=${env.PORT + 100} ${command}.`);
  }
  if (useEmulator && (await portTaken(env.CLERK_EMULATOR_PORT))) {
    refuse(
      `Port ${env.CLERK_EMULATOR_PORT} is taken by another program, so the local Clerk emulator cannot listen there. ` +
        `Set CLERK_EMULATOR_PORT to a free port, e.g. CLERK_EMULATOR_PORT=${env.CLERK_EMULATOR_PORT + 100} ${command}.`,
    );
  }
  // Also with DATABASE_URL set, when no embedded database (whose start does it too) runs.
  await keepLocalDataPrivate();
  if (command === 'npm run start:local' && !buildIsFresh()) {
    console.log('The production build is missing or older than the sources: npm run build first.');
    runBuild();
  }

  const database = await openLocalDatabase();
  /** Started processes, stopped in reverse order. */
  const children: { stop(): Promise<void> }[] = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    // Once: a child exiting because of the same Ctrl-C must not cut the shutdown short.
    if (stopping) return new Promise<never>(() => {});
    stopping = true;
    await forgetDevStack();
    for (const child of children.reverse()) await child.stop();
    await database.close();
    console.log(`\nStopped everything.${database.embedded ? ' Data kept in .data/.' : ''}`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

  try {
    // Through a transaction pooler, migrations need the direct connection (docs/deploy.md).
    const applied = await applyMigrations(env.DIRECT_URL ?? database.url);
    if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
  } catch (error) {
    console.error(`Could not migrate ${database.description}: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }

  const appUrl = `http://localhost:${env.PORT}`;
  let clerkEnv: Record<string, string> = {};
  let clerkLines: string[] = [];
  let emulatorInfo: DevStack['emulator'] = null;
  if (!useEmulator) {
    clerkLines = ['  Clerk     your Clerk instance (keys from the environment)'];
  } else {
    try {
      const emulator = await startEmulatorProcess({
        port: env.CLERK_EMULATOR_PORT,
        dataDir: path.join(DATA_DIR, 'clerk-emulator'),
        appUrl,
        webhookUrl: `${appUrl}/api/webhooks/clerk`,
        tokenTtlSeconds: env.CLERK_EMULATOR_TOKEN_TTL_SECONDS,
        allowPersonalAccounts: env.CLERK_ALLOW_PERSONAL_ACCOUNTS,
      });
      children.push({ stop: () => emulator.stop() });
      clerkEnv = emulator.appEnv;
      emulatorInfo = { url: emulator.url, port: env.CLERK_EMULATOR_PORT };
      clerkLines = [
        `  Clerk     local emulator at ${emulator.url} (no Clerk keys set), personal accounts ${env.CLERK_ALLOW_PERSONAL_ACCOUNTS ? 'on' : 'off (Clerk\'s default)'}`,
        `  Admin     ${emulator.url}/admin   (users: edit, delete, watch the webhooks)`,
        `  Webhook   signing secret in .data/clerk-emulator/webhook-secret`,
      ];
    } catch (error) {
      console.error(`Could not start the local Clerk emulator on port ${env.CLERK_EMULATOR_PORT} (CLERK_EMULATOR_PORT): ${error instanceof Error ? error.message : String(error)}`);
      await shutdown(1);
    }
  }

  // Node runs Next's own CLI directly (no npx in between) so signals reach it.
  const nextCli = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
  const production = command === 'npm run start:local';
  // One key for every `next dev` of this checkout, so that a restart, on any ports, finds .next/dev's cache valid
  // (scripts/lib/dev-server-actions-key.ts); `next start` keeps the key its build was made with.
  const devKey = production || env.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY ? {} : { NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: await devServerActionsKey() };
  const app = spawn(process.execPath, [nextCli, production ? 'start' : 'dev', '--port', String(env.PORT)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...devKey, ...clerkEnv, APP_URL: appUrl, DATABASE_URL: database.url, ...(production ? { NODE_ENV: 'production' } : {}) },
  });
  children.push({ stop: () => stopProcess(app) });
  // The app ending on its own (a crash) ends the rest too.
  app.once('exit', (code) => void shutdown(code ?? 1));

  try {
    await listening(env.PORT, app);
  } catch (error) {
    console.error(`The app could not start on port ${env.PORT} (PORT): ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
  await recordDevStack({ command, appUrl, emulator: emulatorInfo, database: { url: database.url, embedded: database.embedded } });
  console.log(
    [
      '',
      `  App       ${appUrl}${production ? '   (the production build, next start)' : ''}`,
      ...clerkLines,
      // The embedded one's password too, on the terminal of whoever started it: what psql needs (it is in .data, 0600).
      `  Database  ${database.embedded ? `${database.url}  (embedded, data in .data/postgres)` : redactUrl(database.url)}`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}
