/**
 * Run the local Clerk emulator in its own process:
 *
 *   tsx tools/clerk-emulator/main.ts --port 3001 --data-dir .data/clerk-emulator \
 *     --app-url http://localhost:3000 --webhook-url http://localhost:3000/api/webhooks/clerk
 *
 * Prints one line `CLERK_EMULATOR_READY {json}` with its URL, keys and
 * control token once it listens, so the process that started it (and only
 * that one) can configure the app and drive the emulator.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from './src/server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3001' },
    'data-dir': { type: 'string' },
    'app-url': { type: 'string', default: 'http://localhost:3000' },
    'webhook-url': { type: 'string' },
    'token-ttl': { type: 'string', default: '300' },
    'webhook-retry-base-ms': { type: 'string', default: '500' },
    /** Delay every Backend API answer, as the network to Clerk would (benchmarks). */
    'latency-ms': { type: 'string', default: '0' },
    /** "Allow personal accounts": `off` is Clerk's default once Organizations are on. */
    'personal-accounts': { type: 'string', default: 'off' },
  },
});

if (!['on', 'off'].includes(values['personal-accounts']!)) {
  console.error(`--personal-accounts must be on or off, not ${values['personal-accounts']}.`);
  process.exit(2);
}

const emulator = await startEmulator({
  port: Number(values.port),
  dataDir: values['data-dir'] ? path.resolve(values['data-dir']) : null,
  appUrl: values['app-url']!,
  webhookUrl: values['webhook-url'] ?? null,
  tokenTtlSeconds: Number(values['token-ttl']),
  webhookRetryBaseMs: Number(values['webhook-retry-base-ms']),
  backendApiLatencyMs: Number(values['latency-ms']),
  instance: { allowPersonalAccounts: values['personal-accounts'] === 'on' },
});

console.log(
  `CLERK_EMULATOR_READY ${JSON.stringify({
    url: emulator.url,
    controlToken: emulator.controlToken,
    instanceId: emulator.instanceId,
    publishableKey: emulator.publishableKey,
    secretKey: emulator.keys.secretKey,
    jwtKey: emulator.keys.publicKeyPem,
    webhookSecret: emulator.keys.webhookSecret,
  })}`,
);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void emulator.close().finally(() => process.exit(0));
  });
}
