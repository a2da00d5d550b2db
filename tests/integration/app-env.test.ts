import { describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';

async function startFailure(env: Record<string, string>): Promise<string> {
  const error = await startApp(env).then(
    async (app) => {
      await app.stop();
      return null;
    },
    (reason: Error) => reason,
  );
  expect(error, 'the app started although its environment is incomplete').not.toBeNull();
  return error!.message;
}

describe('the app started with an incomplete environment', () => {
  it('stops at start with a message naming DATABASE_URL and the fix', async () => {
    expect(await startFailure({ DATABASE_URL: '' })).toMatch(
      /DATABASE_URL is missing: set it to a PostgreSQL connection string, or run `npm run dev`/,
    );
  });

  it('stops at start when the webhook signing secret is missing, naming the variable', async () => {
    const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 60, output: 'pipe' });
    try {
      const message = await startFailure({ ...emulator.appEnv, CLERK_WEBHOOK_SIGNING_SECRET: '', DATABASE_URL: process.env.DATABASE_URL! });
      expect(message).toMatch(/CLERK_WEBHOOK_SIGNING_SECRET is missing: copy the signing secret/);
      expect(message).not.toMatch(/DATABASE_URL|CLERK_SECRET_KEY/);
    } finally {
      await emulator.stop();
    }
  });
});

describe('the emulator in production', () => {
  it('next start with the emulator\'s settings and no opt-in refuses to start, saying what to do', async () => {
    const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 60, output: 'pipe' });
    try {
      const { CLERK_EMULATOR_ALLOWED: _optIn, ...withoutOptIn } = emulator.appEnv;
      const message = await startFailure({ ...withoutOptIn, DATABASE_URL: process.env.DATABASE_URL! });
      expect(message).toMatch(/local Clerk emulator's configuration \(CLERK_EMULATOR_URL is set; NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is the emulator's; CLERK_SECRET_KEY is the emulator's\)/);
      expect(message).toMatch(/set CLERK_EMULATOR_ALLOWED=true/);
      // The emulator's keys without its URL are refused too.
      const { CLERK_EMULATOR_URL: _url, CLERK_API_URL: _api, ...keysOnly } = withoutOptIn;
      expect(await startFailure({ ...keysOnly, DATABASE_URL: process.env.DATABASE_URL! })).toMatch(/CLERK_SECRET_KEY is the emulator's/);
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});

describe('with real Clerk keys', () => {
  it('serves a CSP that allows what Clerk\'s own components load, and gives Clerk\'s script the nonce', async () => {
    const host = 'clerk.reference-app.example.com';
    const port = await freePort();
    const app = await startApp({
      APP_URL: `http://localhost:${port}`,
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from(`${host}$`).toString('base64')}`,
      CLERK_SECRET_KEY: 'sk_live_reference_app_test_key',
      CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${Buffer.from('reference-app-test-secret').toString('base64')}`,
      DATABASE_URL: process.env.DATABASE_URL!,
    }, { port });
    try {
      const response = await fetch(`${app.url}/`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      const directive = (name: string) => csp.split('; ').find((part) => part.startsWith(`${name} `)) ?? '';
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(directive('script-src')).toMatch(/'strict-dynamic'/);
      expect(directive('connect-src')).toContain(host);
      expect(directive('img-src')).toContain('https://img.clerk.com');
      expect(directive('worker-src')).toBe("worker-src 'self' blob:");
      expect(directive('frame-src')).toContain('https://challenges.cloudflare.com');
      expect(directive('style-src')).toContain("'unsafe-inline'");
      expect(directive('form-action')).toBe("form-action 'self'");
      const html = await response.text();
      const clerkScript = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]).find((tag) => tag.includes(`https://${host}/npm/@clerk/`));
      expect(clerkScript).toBeDefined();
      expect(clerkScript).toContain(`nonce="${nonce}"`);
    } finally {
      await app.stop();
    }
  }, 60_000);
});
