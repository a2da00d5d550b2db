import { describe, expect, it } from 'vitest';
import { EnvError, getToolEnv, parseAppEnv } from './env';

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

describe('parseAppEnv', () => {
  const emulatorHost = Buffer.from('clerk.example.test$').toString('base64');
  const realHost = Buffer.from('clerk.myapp.com$').toString('base64');
  const base = {
    DATABASE_URL: 'postgresql://app:secret@db.internal:5432/app',
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${realHost}`,
    CLERK_SECRET_KEY: 'sk_live_abc',
    CLERK_WEBHOOK_SIGNING_SECRET: 'whsec_abc',
  };

  it('refuses the emulator\'s configuration without the explicit opt-in, saying what to do', () => {
    for (const emulator of [
      { CLERK_EMULATOR_URL: 'http://localhost:3001' },
      { NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${emulatorHost}` },
      { CLERK_SECRET_KEY: 'sk_live_emulator_abc' },
    ]) {
      expect(() => parseAppEnv({ ...base, ...emulator })).toThrow(/local Clerk emulator's configuration .* must never serve real users.*CLERK_EMULATOR_ALLOWED=true/);
      expect(parseAppEnv({ ...base, ...emulator, CLERK_EMULATOR_ALLOWED: 'true' }).CLERK_EMULATOR_ALLOWED).toBe(true);
    }
    expect(() => parseAppEnv({ ...base, CLERK_EMULATOR_URL: 'http://localhost:3001', CLERK_EMULATOR_ALLOWED: 'false' })).toThrow(EnvError);
  });

  it('requires APP_URL in production, over https but for localhost', () => {
    expect(parseAppEnv(base).APP_URL).toBe('http://localhost:3000');
    expect(() => parseAppEnv({ ...base, NODE_ENV: 'production' })).toThrow(/APP_URL is missing: in production set it to the https address/);
    expect(() => parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'http://app.example.com' })).toThrow(/APP_URL is invalid: in production it must be an https address/);
    expect(parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'https://app.example.com/' }).APP_URL).toBe('https://app.example.com');
    expect(parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'http://localhost:4000' }).APP_URL).toBe('http://localhost:4000');
  });

  it('reads the retention windows with their defaults', () => {
    expect(parseAppEnv(base)).toMatchObject({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, DATA_PRUNE_INTERVAL_MINUTES: 60 });
    expect(() => parseAppEnv({ ...base, WEBHOOK_PAYLOAD_RETENTION_DAYS: '0' })).toThrow(/WEBHOOK_PAYLOAD_RETENTION_DAYS is invalid/);
  });
});
