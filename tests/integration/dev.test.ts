/**
 * `npm run dev` as a newcomer runs it (here against this test's database and
 * on free ports): it starts the emulator and `next dev`, serves the pages,
 * prints no deprecation warning and no error, and one Ctrl-C stops it all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { ROOT } from '../../scripts/lib/paths';
import { stopProcess } from '../../scripts/lib/processes';

let dev: ChildProcess | undefined;
afterAll(async () => {
  if (dev) await stopProcess(dev, { group: true, graceMs: 10_000 });
});

describe('npm run dev', () => {
  it('serves the app with no deprecation warning, and stops on Ctrl-C', async () => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    dev = spawn('npm', ['run', 'dev'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), CLERK_EMULATOR_PORT: String(emulatorPort), NODE_ENV: 'development', NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => dev!.once('exit', () => resolve()));

    const url = `http://localhost:${port}`;
    await expect.poll(() => output, { timeout: 60_000, interval: 250 }).toContain(`App       ${url}`);
    // The first requests compile the proxy (where Clerk's deprecations used to speak) and the pages.
    await expect
      .poll(async () => (await fetch(`${url}/`, { signal: AbortSignal.timeout(60_000) }).catch(() => null))?.status, { timeout: 90_000, interval: 500 })
      .toBe(200);
    const dashboard = await fetch(`${url}/dashboard`, { redirect: 'manual', headers: { accept: 'text/html', 'sec-fetch-dest': 'document' }, signal: AbortSignal.timeout(60_000) });
    expect(dashboard.status).toBe(307);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);

    expect(output).not.toMatch(/deprecat/i);
    expect(output).not.toMatch(/\berror\b/i);
    expect(output).toContain('Running against the local Clerk emulator');

    // Ctrl-C reaches the whole foreground group, as in a terminal.
    process.kill(-dev.pid!, 'SIGINT');
    await exited;
    dev = undefined;
    await expect.poll(() => output, { timeout: 30_000 }).toContain('Stopped everything.');
    await expect.poll(() => fetch(`${url}/`).then(() => 'listening', () => 'stopped'), { timeout: 15_000 }).toBe('stopped');
    await expect.poll(() => fetch(`http://localhost:${emulatorPort}/`).then(() => 'listening', () => 'stopped'), { timeout: 15_000 }).toBe('stopped');
  }, 180_000);
});
