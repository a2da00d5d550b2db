import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
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
    CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
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

  it('takes a signing secret only when it decodes to 24 bytes or more, as standardwebhooks decodes it', () => {
    const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;
    for (const secret of [secretOf(24), secretOf(32), secretOf(25).replace(/=+$/, '')]) {
      expect(parseAppEnv({ ...base, CLERK_WEBHOOK_SIGNING_SECRET: secret }).CLERK_WEBHOOK_SIGNING_SECRET).toBe(secret);
      // What we accept, the library signs and verifies with.
      const webhook = new Webhook(secret);
      const at = new Date();
      expect(webhook.verify('{}', { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': webhook.sign('msg_1', at, '{}') })).toEqual({});
    }
    for (const secret of ['whsec_', 'whsec_abc', 'whsec_AAAA', secretOf(23), `whsec_${'%'.repeat(40)}`, `whsec_ ${secretOf(24).slice(6)}`]) {
      expect(() => parseAppEnv({ ...base, CLERK_WEBHOOK_SIGNING_SECRET: secret }), secret).toThrow(
        'Invalid environment: CLERK_WEBHOOK_SIGNING_SECRET is invalid: must be whsec_ followed by the base64 of at least 24 bytes, as Clerk makes it: ' +
          'copy the signing secret of your webhook endpoint from the Clerk dashboard (Webhooks), or run `npm run dev`, which sets the emulator\'s',
      );
    }
    expect(() => parseAppEnv({ ...base, CLERK_WEBHOOK_SIGNING_SECRET: Buffer.alloc(24).toString('base64') })).toThrow(/CLERK_WEBHOOK_SIGNING_SECRET is invalid: must be whsec_ followed by/);
  });

  it('refuses the emulator\'s configuration in production unless APP_URL and CLERK_API_URL are both loopback, whatever the opt-in says', () => {
    const emulator = { NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${emulatorHost}`, CLERK_SECRET_KEY: 'sk_live_emulator_abc', CLERK_EMULATOR_URL: 'http://localhost:3001', CLERK_EMULATOR_ALLOWED: 'true' };
    const local = { ...base, ...emulator, NODE_ENV: 'production', APP_URL: 'http://localhost:3000', CLERK_API_URL: 'http://localhost:3001' };
    expect(parseAppEnv(local)).toMatchObject({ APP_URL: 'http://localhost:3000', CLERK_API_URL: 'http://localhost:3001', CLERK_EMULATOR_ALLOWED: true });
    expect(parseAppEnv({ ...local, APP_URL: 'http://127.0.0.1:3000', CLERK_API_URL: 'http://[::1]:3001' }).CLERK_EMULATOR_ALLOWED).toBe(true);
    const refusal = (url: string, variable: string) =>
      `Invalid environment: This is the local Clerk emulator's configuration (NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is the emulator's; CLERK_SECRET_KEY is the emulator's), ` +
      `and ${variable} is ${url}: in production the emulator's configuration runs only on this machine, with APP_URL and CLERK_API_URL on localhost, ` +
      'whatever CLERK_EMULATOR_ALLOWED says. To serve people, set your Clerk instance\'s keys (see docs/deploy.md) and unset CLERK_EMULATOR_URL and CLERK_EMULATOR_ALLOWED; ' +
      'to try the production build on your machine, run `npm run start:local`.';
    const { CLERK_EMULATOR_URL: _url, ...keysOnly } = local;
    expect(() => parseAppEnv({ ...keysOnly, APP_URL: 'https://app.example.com' })).toThrow(refusal('https://app.example.com', 'APP_URL'));
    expect(() => parseAppEnv({ ...keysOnly, CLERK_API_URL: 'https://api.clerk.com' })).toThrow(refusal('https://api.clerk.com', 'CLERK_API_URL'));
    // CLERK_API_URL unset is Clerk's own API.
    const { CLERK_API_URL: _api, ...noApi } = keysOnly;
    expect(() => parseAppEnv(noApi)).toThrow(refusal('https://api.clerk.com', 'CLERK_API_URL'));
    // The emulator's URL alone, with real keys, is a marker too.
    expect(() => parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'https://app.example.com', CLERK_API_URL: 'http://localhost:3001', CLERK_EMULATOR_URL: 'http://localhost:3001', CLERK_EMULATOR_ALLOWED: 'true' })).toThrow(
      /This is the local Clerk emulator's configuration \(CLERK_EMULATOR_URL is set\), and APP_URL is https:\/\/app\.example\.com: in production/,
    );
    // Outside production the opt-in is enough, as for the tests and npm run dev.
    expect(parseAppEnv({ ...keysOnly, NODE_ENV: 'development', APP_URL: 'https://app.example.com' }).CLERK_EMULATOR_ALLOWED).toBe(true);
  });

  it('requires APP_URL in production, over https but for localhost', () => {
    expect(parseAppEnv(base).APP_URL).toBe('http://localhost:3000');
    expect(() => parseAppEnv({ ...base, NODE_ENV: 'production' })).toThrow(/APP_URL is missing: in production set it to the https address/);
    expect(() => parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'http://app.example.com' })).toThrow(/APP_URL is invalid: in production it must be an https address/);
    expect(parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'https://app.example.com/' }).APP_URL).toBe('https://app.example.com');
    expect(parseAppEnv({ ...base, NODE_ENV: 'production', APP_URL: 'http://localhost:4000' }).APP_URL).toBe('http://localhost:4000');
  });

  it('reads the retention windows with their defaults', () => {
    expect(parseAppEnv(base)).toMatchObject({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365, DATA_PRUNE_INTERVAL_MINUTES: 60 });
    expect(() => parseAppEnv({ ...base, WEBHOOK_PAYLOAD_RETENTION_DAYS: '0' })).toThrow(/WEBHOOK_PAYLOAD_RETENTION_DAYS is invalid/);
    expect(parseAppEnv({ ...base, AUDIT_LOG_RETENTION_DAYS: '90' }).AUDIT_LOG_RETENTION_DAYS).toBe(90);
    expect(() => parseAppEnv({ ...base, AUDIT_LOG_RETENTION_DAYS: 'forever' })).toThrow(/AUDIT_LOG_RETENTION_DAYS is invalid/);
    expect(parseAppEnv(base).RECONCILE_REPORT_RETENTION_DAYS).toBe(30);
    expect(() => parseAppEnv({ ...base, RECONCILE_REPORT_RETENTION_DAYS: '0' })).toThrow(/RECONCILE_REPORT_RETENTION_DAYS is invalid/);
  });

  it('reads the operators as a set of Clerk user ids, none when unset, and names a malformed one\'s fix', () => {
    expect(parseAppEnv(base).OPS_OPERATOR_CLERK_IDS).toEqual(new Set());
    expect(parseAppEnv({ ...base, OPS_OPERATOR_CLERK_IDS: ' user_2abc , user_2def,,' }).OPS_OPERATOR_CLERK_IDS).toEqual(new Set(['user_2abc', 'user_2def']));
    for (const wrong of ['ada@example.com', 'user_2abc;user_2def', 'org_2abc', 'user_']) {
      expect(() => parseAppEnv({ ...base, OPS_OPERATOR_CLERK_IDS: wrong })).toThrow(
        /^Invalid environment: OPS_OPERATOR_CLERK_IDS is invalid: must be Clerk user ids \(user_…\) separated by commas: list the Clerk user ids/,
      );
    }
  });
});
