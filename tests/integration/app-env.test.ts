import { describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app';

describe('the app started without DATABASE_URL', () => {
  it('stops at start with a message naming the variable and the fix', async () => {
    const error = await startApp({ DATABASE_URL: '' }).then(
      async (app) => {
        await app.stop();
        return null;
      },
      (reason: Error) => reason,
    );
    expect(error?.message).toMatch(/DATABASE_URL is missing: set it to a PostgreSQL connection string, or run `npm run dev`/);
  });
});
