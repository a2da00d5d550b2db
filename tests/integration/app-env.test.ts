import { describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';

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
