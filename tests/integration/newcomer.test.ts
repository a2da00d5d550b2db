/**
 * The developer commands as a newcomer meets them, in a fresh copy of this
 * checkout (its own .data, nothing set in the environment but ports): `npm
 * run dev` on other ports than the defaults, a second one, a bad variable, a
 * busy port, the other commands finding the running stack by themselves,
 * the data and the users found again after a restart, switching ports and
 * back with a browser open on the first page, nothing running, and `npm run
 * start:local`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startEmbeddedCluster } from '../../scripts/lib/local-database';
import { freePort, makeTempClusterDir, serverIdentity } from '../../scripts/lib/postgres-cluster';
import { ROOT } from '../../scripts/lib/paths';
import { stopProcess } from '../../scripts/lib/processes';
import { browserTestsRun, launchBrowser, watchForErrors } from '../helpers/browser';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { withAdminClient } from '../helpers/databases';
import { actionId, callAction } from '../helpers/server-actions';

let checkout: string;
const running: ChildProcess[] = [];

/** A copy of this checkout as a clone would have it: the files git knows, node_modules (hard links) and the generated client. */
async function copyCheckout(): Promise<string> {
  const dir = await makeTempClusterDir('clerk-prisma-newcomer-');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(ROOT, file))) continue; // deleted in the working tree
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(dir, file));
  }
  try {
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  } catch {
    execFileSync('cp', ['-a', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  }
  await cp(path.join(ROOT, 'generated'), path.join(dir, 'generated'), { recursive: true });
  return dir;
}

/** The environment of a fresh shell: nothing of ours set, but what is given. */
function newcomerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NEXT_TELEMETRY_DISABLED: '1', ...extra } as unknown as NodeJS.ProcessEnv;
}

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function start(command: string, env: Record<string, string> = {}): Run {
  const child = spawn('sh', ['-c', command], { cwd: checkout, env: newcomerEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function finished(command: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = Date.now();
  const run = start(command, env);
  const code = await run.exited;
  return { code, output: run.output(), seconds: (Date.now() - started) / 1000 };
}

/** Ctrl-C in the terminal: SIGINT to the whole foreground group; resolves once the stack has stopped. */
async function interrupt(run: Run): Promise<void> {
  process.kill(-run.child.pid!, 'SIGINT');
  await run.exited;
  await expect.poll(run.output, { timeout: 30_000 }).toContain('Stopped everything.');
}

type Ports = Record<'PORT' | 'CLERK_EMULATOR_PORT' | 'EMBEDDED_POSTGRES_PORT', string>;

/**
 * What the page hears and says on `next dev`'s HMR socket. `handshaken` is
 * true once the server's first messages (its session, the build state) have
 * arrived and the page has subscribed to its chunk lists: the moment a page
 * the server thinks stale is told to reload.
 */
function watchHmr(page: Page): { received: string[]; sent: string[]; handshaken(): boolean } {
  const received: string[] = [];
  const sent: string[] = [];
  const kind = (payload: string | Buffer) => {
    if (typeof payload !== 'string') return null; // binary: React's debug channel
    try {
      const message = JSON.parse(payload) as { type?: string; event?: string };
      return message.type ?? message.event ?? null;
    } catch {
      return `unreadable: ${payload.slice(0, 80)}`;
    }
  };
  page.on('websocket', (socket) => {
    if (!socket.url().includes('/_next/hmr')) return;
    const record = (into: string[]) => ({ payload }: { payload: string | Buffer }) => {
      const type = kind(payload);
      if (type) into.push(type);
    };
    socket.on('framereceived', record(received));
    socket.on('framesent', record(sent));
  });
  const handshaken = () => received.includes('turbopack-connected') && received.includes('sync') && sent.includes('turbopack-subscribe');
  return { received, sent, handshaken };
}

/**
 * A newcomer's first page after `npm run dev` on `ports`: it loads, its HMR
 * connection comes up, and one click on Sign in must take them to the
 * emulator's sign-in page. A reload of the first page shows as a second
 * document for it, or as the click going nowhere.
 */
async function firstPageAfterStart(browser: Browser, ports: Ports) {
  const dev = start('npm run dev', ports);
  const appUrl = `http://localhost:${ports.PORT}`;
  const emulatorUrl = `http://localhost:${ports.CLERK_EMULATOR_PORT}`;
  await expect.poll(dev.output, { timeout: 120_000, interval: 250 }).toContain(`App       ${appUrl}`);
  const context = await browser.newContext();
  const errors = watchForErrors(context);
  const page = await context.newPage();
  const documents: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents.push(request.url());
  });
  const hmr = watchHmr(page);
  const response = await page.goto(appUrl, { timeout: 120_000 });
  const html = await response!.text();
  await expect.poll(hmr.handshaken, { timeout: 60_000 }).toBe(true);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(`${emulatorUrl}/sign-in**`, { timeout: 120_000 });
  await context.close();
  await interrupt(dev);
  // The page's own scripts, as its HTML names them (content-hashed: a recompiled module is a new name).
  const scripts = [...new Set(html.match(/\/_next\/static\/chunks\/[^"'\\\s]+?\.js/g))].sort();
  return { appUrl, documents, hmr, errors, scripts };
}

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;
/** .data's secrets, readable by their owner only (.data itself enterable by the `postgres` user as root, not listable). */
async function expectPrivateData(): Promise<void> {
  const data = path.join(checkout, '.data');
  expect(await modeOf(data)).toBe(serverIdentity().uid === undefined ? 0o700 : 0o711);
  for (const file of ['dev-stack.json', 'postgres-password']) if (existsSync(path.join(data, file))) expect(await modeOf(path.join(data, file)), file).toBe(0o600);
  expect(await modeOf(path.join(data, 'clerk-emulator'))).toBe(0o700);
  for (const file of await readdir(path.join(data, 'clerk-emulator'))) expect(await modeOf(path.join(data, 'clerk-emulator', file)), file).toBe(0o600);
}
const password = async () => (await readFile(path.join(checkout, '.data', 'postgres-password'), 'utf8')).trim();

const reachable = (url: string) => fetch(url, { signal: AbortSignal.timeout(60_000) }).then((response) => response.status, () => null);
const noStackTrace = (output: string) => expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

beforeAll(async () => {
  checkout = await copyCheckout();
}, 120_000);
afterAll(async () => {
  for (const child of running) await stopProcess(child, { group: true, graceMs: 10_000 });
  if (checkout) await rm(checkout, { recursive: true, force: true });
}, 60_000);

describe('a newcomer', () => {
  it('gets a one-line cause for a bad variable, and for a busy port the variable that moves it', async () => {
    const bad = await finished('PORT=abc npm run dev');
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('Invalid environment: PORT is invalid:');
    expect(bad.output).toContain('use a port number from 1 to 65535, e.g. PORT=3100');
    noStackTrace(bad.output);

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const taken = await finished('npm run dev', { PORT: String(port) });
      expect(taken.code).toBe(1);
      expect(taken.output).toContain(`Port ${port} is taken by another program, so the app cannot listen there. Set PORT to a free port`);
      noStackTrace(taken.output);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 120_000);

  it('runs npm run dev on other ports, and the other commands find it by themselves', async () => {
    const [port, emulatorPort, databasePort] = [await freePort(), await freePort(), await freePort()];
    const ports = { PORT: String(port), CLERK_EMULATOR_PORT: String(emulatorPort), EMBEDDED_POSTGRES_PORT: String(databasePort) };
    const dev = start('npm run dev', ports);
    const url = `http://localhost:${port}`;
    await expect.poll(dev.output, { timeout: 120_000, interval: 250 }).toContain(`App       ${url}`);
    // The banner comes once everything listens.
    expect(await reachable(`${url}/api/health`)).toBe(200);
    expect(dev.output()).toContain(`Clerk     local emulator at http://localhost:${emulatorPort}`);
    // Its own random password, which the banner gives the one who started it (psql needs it) and .data keeps.
    expect(await password()).toMatch(/^[0-9a-f]{48}$/);
    expect(dev.output()).toContain(`Database  postgresql://postgres:${await password()}@127.0.0.1:${databasePort}/postgres  (embedded, data in .data/postgres)`);
    await expectPrivateData();

    // A second one says so and leaves the first alone.
    const second = await finished('npm run dev', ports);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(new RegExp(`npm run dev is already running for this checkout \\(pid \\d+, since [^)]+\\): the app is at ${url}\\.`));
    noStackTrace(second.output);
    expect(await reachable(`${url}/api/health`)).toBe(200);

    // With nothing set, as the README writes them.
    const reconcile = await finished('npm run users:reconcile -- --dry-run --keep-missing');
    expect(reconcile.output).toMatch(/Reconciling the database of the running npm run dev \(pid \d+\): .* with the local Clerk emulator of the running npm run dev \(pid \d+\) at http:\/\/localhost:\d+\./);
    expect(reconcile.output).toContain('Dry run: nothing written. Reconciled 0 users');
    expect(reconcile.code).toBe(0);
    const prune = await finished('npm run data:prune');
    expect(prune.output).toMatch(/Pruned the database of the running npm run dev \(pid \d+\)/);
    expect(prune.code).toBe(0);
    const replay = await finished('npm run webhooks:replay -- --failed');
    expect(replay.output).toMatch(/Replaying from the database of the running npm run dev \(pid \d+\)/);
    expect(replay.code).toBe(0);
    // What they print for people hides the password.
    for (const output of [reconcile.output, prune.output, replay.output]) expect(output).not.toContain(await password());

    // The pages compile and serve, and nothing is deprecated or broken (Clerk's deprecations speak when the proxy loads).
    expect(await reachable(`${url}/`)).toBe(200);
    const dashboard = await fetch(`${url}/dashboard`, { redirect: 'manual', headers: { accept: 'text/html', 'sec-fetch-dest': 'document' } });
    expect(dashboard.status).toBe(307);
    expect(dev.output()).not.toMatch(/deprecat/i);
    expect(dev.output()).not.toMatch(/\berror\b/i);

    await interrupt(dev);
    expect(existsSync(path.join(checkout, '.data', 'dev-stack.json'))).toBe(false);
    expect(await reachable(`${url}/api/health`)).toBeNull();
    expect(await reachable(`http://localhost:${emulatorPort}/`)).toBeNull();
  }, 240_000);

  it('finds its data and its users again after Ctrl-C and a new npm run dev', async () => {
    const [port, emulatorPort, databasePort] = [await freePort(), await freePort(), await freePort()];
    const ports = { PORT: String(port), CLERK_EMULATOR_PORT: String(emulatorPort), EMBEDDED_POSTGRES_PORT: String(databasePort) };
    const url = `http://localhost:${port}`;
    const emulatorUrl = `http://localhost:${emulatorPort}`;
    const devRun = async () => {
      const dev = start('npm run dev', ports);
      await expect.poll(dev.output, { timeout: 120_000, interval: 250 }).toContain(`App       ${url}`);
      return dev;
    };
    /** The emulator's own form, as a browser posts it: its cookies for the app, or the page it answered. */
    const emulatorForm = async (page: '/sign-up' | '/sign-in', fields: Record<string, string>) => {
      const response = await fetch(`${emulatorUrl}${page}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: emulatorUrl, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, redirect_url: `${url}/dashboard` }),
      });
      return { status: response.status, jar: new CookieJar(response.headers.getSetCookie()), location: response.headers.get('location') };
    };
    const rows = async () =>
      withAdminClient(`postgresql://postgres:${await password()}@127.0.0.1:${databasePort}/postgres`, async (client) => ({
        users: (await client.query<{ clerkId: string; email: string; name: string }>('SELECT "clerkId", email, name FROM "User"')).rows,
        posts: (await client.query<{ title: string; content: string }>('SELECT title, content FROM "Post"')).rows,
      }));

    // The first run: someone signs up and publishes a post.
    const first = await devRun();
    const signUp = await emulatorForm('/sign-up', { email: 'returning@example.com', first_name: 'Ada', last_name: 'Returns' });
    expect(signUp.location).toBe(`${url}/dashboard`);
    const dashboard = await navigate(`${url}/dashboard`, signUp.jar, 120_000);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('Ada Returns');
    const buildDir = path.join(checkout, '.next', 'dev');
    const publish = await callAction(url, signUp.jar, { id: actionId('app/posts/actions.ts', 'createPostAction', buildDir) }, { title: 'Still here', content: 'after a restart' });
    expect(publish.text).toContain('Post published.');
    const before = await rows();
    expect(before.posts).toEqual([{ title: 'Still here', content: 'after a restart' }]);
    expect(before.users).toEqual([{ clerkId: expect.stringMatching(/^user_/), email: 'returning@example.com', name: 'Ada Returns' }]);
    await interrupt(first);

    // The second: the same rows, and the emulator still knows the person, who signs in again and finds the post.
    const second = await devRun();
    expect(await rows()).toEqual(before);
    const signIn = await emulatorForm('/sign-in', { email: 'returning@example.com' });
    expect(signIn.location).toBe(`${url}/dashboard`);
    const again = await navigate(`${url}/dashboard`, signIn.jar, 120_000);
    expect(again.status).toBe(200);
    const html = await again.text();
    expect(html).toContain('Ada Returns');
    expect(html).toContain('Still here');
    expect(await rows()).toEqual(before);
    await interrupt(second);
  }, 300_000);

  it.runIf(browserTestsRun)('switches npm run dev to other ports and back: the first page loads once and comes from the dev cache', async () => {
    const ports = async (): Promise<Ports> => ({ PORT: String(await freePort()), CLERK_EMULATOR_PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) });
    const [first, other] = [await ports(), await ports()];
    const browser = await launchBrowser();
    try {
      // Every port other, then back on one of them (the app's) with the other two kept.
      const visits = [];
      for (const run of [first, other, { ...other, PORT: first.PORT }]) visits.push(await firstPageAfterStart(browser, run));
      for (const visit of visits) {
        expect(visit.documents.filter((url) => url.startsWith(visit.appUrl))).toEqual([`${visit.appUrl}/`]);
        expect(visit.hmr.received).not.toContain('reloadPage');
        expect(visit.hmr.sent).not.toContain('client-reload-page');
        expect(visit.hmr.sent).not.toContain('client-full-reload');
        expect(visit.errors).toEqual([]);
      }
      // Nothing was compiled again for the new ports: the browser runs the very same scripts.
      expect(visits[0]!.scripts.length).toBeGreaterThan(5);
      expect(visits[1]!.scripts).toEqual(visits[0]!.scripts);
      expect(visits[2]!.scripts).toEqual(visits[0]!.scripts);
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('finds a checkout of an older version made private at the next command: files 0600, the database\'s old password replaced', async () => {
    // What an older version left: the fixed password `postgres`, no password file, everything readable by all.
    const data = path.join(checkout, '.data');
    const cluster = await startEmbeddedCluster({ dataDir: path.join(data, 'postgres'), passwordFile: path.join(data, 'postgres-password') });
    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    await client.query(`ALTER ROLE postgres PASSWORD 'postgres'`);
    await client.end();
    await cluster.stop();
    await rm(path.join(data, 'postgres-password'));
    await chmod(data, 0o755);
    await chmod(path.join(data, 'clerk-emulator'), 0o755);
    for (const file of await readdir(path.join(data, 'clerk-emulator'))) await chmod(path.join(data, 'clerk-emulator', file), 0o644);

    const migrate = await finished('npm run db:migrate');
    expect(migrate.output).toContain('The embedded PostgreSQL had the well-known password of older versions: it now has a random one, kept in');
    expect(migrate.code).toBe(0);
    expect(await password()).toMatch(/^[0-9a-f]{48}$/);
    await expectPrivateData();
    // And the next command just uses it.
    const again = await finished('npm run db:migrate');
    expect(again.output).not.toContain('well-known password');
    expect(again.code).toBe(0);
  }, 120_000);

  it('is told at once when nothing runs and no keys are set', async () => {
    const reconcile = await finished('npm run users:reconcile -- --dry-run');
    expect(reconcile.code).toBe(2);
    expect(reconcile.output).toContain('No Clerk keys and no running `npm run dev` for this checkout');
    expect(reconcile.seconds).toBeLessThan(20);
    noStackTrace(reconcile.output);
  }, 60_000);

  it('follows the README\'s schema walk-through, and the migrations test stays green', async () => {
    // 1. Edit prisma/schema.prisma: say, a bio for each user.
    const schemaFile = path.join(checkout, 'prisma', 'schema.prisma');
    const schema = await readFile(schemaFile, 'utf8');
    await writeFile(schemaFile, schema.replace(/(\n\s*name\s+String\?)/, '$1\n  bio       String?'));
    // 2 and 3, as written.
    const create = await finished('npm run db:migration:create -- add_something');
    expect(create.output).toMatch(/Created prisma\/migrations\/\d+_add_something\/migration\.sql/);
    expect(create.code).toBe(0);
    const migrationDir = (await readdir(path.join(checkout, 'prisma', 'migrations'))).find((entry) => entry.endsWith('_add_something'))!;
    expect(await readFile(path.join(checkout, 'prisma', 'migrations', migrationDir, 'migration.sql'), 'utf8')).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"bio" TEXT/);
    expect((await finished('npm run db:generate')).code).toBe(0);
    const migrate = await finished('npm run db:migrate');
    expect(migrate.output).toMatch(/Applied \d+ migration\(s\) to the embedded PostgreSQL \(\.data\/postgres\):[\s\S]*_add_something\n/);
    expect(migrate.code).toBe(0);
    // The suite's migration checks (drift included) on the changed project.
    const tests = await finished('npx vitest run tests/integration/migrations.test.ts');
    expect(tests.output.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed \(\d+\)/);
    expect(tests.code).toBe(0);
  }, 300_000);

  it('tries the production build on its machine with npm run start:local', async () => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const local = start('npm run start:local', { PORT: String(port), CLERK_EMULATOR_PORT: String(emulatorPort) });
    const url = `http://localhost:${port}`;
    await expect.poll(local.output, { timeout: 180_000, interval: 500 }).toContain(`App       ${url}   (the production build, next start)`);
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toMatch(/'strict-dynamic'/);
    await interrupt(local);
  }, 240_000);
});
