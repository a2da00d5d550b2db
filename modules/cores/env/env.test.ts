import { describe, expect, it } from 'vitest';
import { EnvError, getToolEnv } from './env';

describe('getToolEnv', () => {
  it('gives local defaults when nothing is set', () => {
    const env = getToolEnv({});
    expect(env).toMatchObject({ PORT: 3000, EMBEDDED_POSTGRES_PORT: 54320, LOG_LEVEL: 'info' });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('treats an empty value as unset', () => {
    const env = getToolEnv({ DATABASE_URL: '', PORT: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });

  it('names the variable, the problem and the fix', () => {
    expect(() => getToolEnv({ DATABASE_URL: 'mysql://localhost/app' })).toThrow(EnvError);
    expect(() => getToolEnv({ DATABASE_URL: 'mysql://localhost/app' })).toThrow(
      /DATABASE_URL is invalid: must be a PostgreSQL connection string.*npm run dev/,
    );
    expect(() => getToolEnv({ PORT: 'eighty' })).toThrow(/PORT is invalid/);
    expect(() => getToolEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL is invalid.*use one of fatal, error/);
  });
});
