/**
 * The emulator's signing identity: an RSA-2048 key pair (SPKI public key, as
 * the SDK's `jwtKey` requires), the instance's secret key for the Backend
 * API, and the `whsec_` webhook signing secret. Made on first run and kept
 * in the data directory so restarts keep sessions and secrets valid. The
 * directory and its files (these, and the store's state) are its owner's
 * alone: 0700 and 0600, set again at every start.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, type JWK } from 'jose';
import { EMULATOR_FRONTEND_API_HOST, EMULATOR_SECRET_KEY_PREFIX } from '../../../modules/cores/env/clerk-emulator-identity';
import { isUsableWebhookSecret, WEBHOOK_SECRET_MIN_BYTES } from '../../../modules/cores/env/webhook-signing-secret';
import { keepPrivate, writePrivateFile } from '../../../modules/cores/private-files';
import { randomToken } from './ids';

/**
 * The frontend API host the publishable key names; the SDK compares token
 * `iss` with it. The app recognises it (and the secret key's prefix) and
 * refuses to serve real traffic with them.
 */
export const FRONTEND_API_HOST = EMULATOR_FRONTEND_API_HOST;
export const ISSUER = `https://${FRONTEND_API_HOST}`;
/** `pk_live_` + base64("<frontend api host>$"): see FACTS.md on why not `pk_test_`. */
export const PUBLISHABLE_KEY = `pk_live_${Buffer.from(`${FRONTEND_API_HOST}$`).toString('base64')}`;

export interface EmulatorSecrets {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  secretKey: string;
  webhookSecret: string;
}

export interface EmulatorKeys extends EmulatorSecrets {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export const WEBHOOK_SECRET_FILE = 'webhook-secret';

async function createSecrets(): Promise<EmulatorSecrets> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  return {
    kid: `ins_emulator_${randomToken(9)}`,
    privateKeyPem: await exportPKCS8(privateKey),
    publicKeyPem: await exportSPKI(publicKey),
    secretKey: `${EMULATOR_SECRET_KEY_PREFIX}${randomToken(24)}`,
    webhookSecret: `whsec_${randomBytes(WEBHOOK_SECRET_MIN_BYTES).toString('base64')}`,
  };
}

/** Load the keys from `dataDir` (or memory only when it is null), creating them on first use. */
export async function loadKeys(dataDir: string | null): Promise<EmulatorKeys> {
  let secrets: EmulatorSecrets;
  if (dataDir) await keepPrivate(dataDir);
  const file = dataDir ? path.join(dataDir, 'keys.json') : null;
  if (file && existsSync(file)) {
    secrets = JSON.parse(await readFile(file, 'utf8')) as EmulatorSecrets;
    // The app refuses a weak secret at start: say so here, where it comes from.
    if (!isUsableWebhookSecret(secrets.webhookSecret)) {
      throw new Error(`The webhook signing secret in ${file} is not whsec_ and the base64 of ${WEBHOOK_SECRET_MIN_BYTES} bytes or more: delete that file, and the emulator makes new keys.`);
    }
  } else {
    secrets = await createSecrets();
    if (file) await writePrivateFile(file, JSON.stringify(secrets, null, 2));
  }
  // For a developer's own tools that sign test events.
  if (dataDir) await writePrivateFile(path.join(dataDir, WEBHOOK_SECRET_FILE), `${secrets.webhookSecret}\n`);
  const privateKey = await importPKCS8(secrets.privateKeyPem, 'RS256');
  const publicKey = await importSPKI(secrets.publicKeyPem, 'RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: secrets.kid, alg: 'RS256', use: 'sig' };
  return { ...secrets, privateKey, publicKey, jwk };
}
