/**
 * A Clerk emulator in the test process as the app's Clerk: for the tests of
 * one file, `getClerkClient()` (the real `@clerk/backend` client) talks to
 * it; its state is reset before each test. For in-process tests of services
 * that call the Backend API, where mutation testing reaches them.
 */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl } from './emulator-control';

const app = globalThis as unknown as { clerkClient?: ClerkClient };

export interface AppEmulator {
  readonly emulator: RunningEmulator;
  readonly control: EmulatorControl;
  /** The client the app uses, pointed at the emulator. */
  readonly clerk: ClerkClient;
}

/** Call at the top of a test file: hooks start the emulator before its tests, reset it before each, stop it after. */
export function emulatorAsAppsClerk(): AppEmulator {
  let emulator: RunningEmulator | undefined;
  let control: EmulatorControl | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: null, tokenTtlSeconds: 60 });
    control = new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
    app.clerkClient = createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });
  });
  afterAll(async () => {
    delete app.clerkClient;
    await emulator?.close();
  });
  beforeEach(() => control!.reset());
  return {
    get emulator() {
      return emulator!;
    },
    get control() {
      return control!;
    },
    get clerk() {
      return app.clerkClient!;
    },
  };
}
