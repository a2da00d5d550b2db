/**
 * The server-actions key `next dev` runs with under `npm run dev`: one per
 * checkout, made once and kept in `.data/next-dev/server-actions-key`.
 *
 * Next.js derives every server action's id from this key, and those ids are
 * compiled into the client's scripts. Next keeps its own key in `.next/dev`
 * only where it thinks that storage lasts: in a container (`/.dockerenv`: a
 * devcontainer, a cloud IDE, CI) it makes a new one at every start. Each
 * start then compiled every module that defines or imports an action again
 * ("[Fast Refresh] rebuilding" right after the first page loads, a first page
 * several times slower, a new client chunk in `.next/dev` each time), which
 * `.next/dev`'s cache exists to avoid (docs/decisions/018).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DATA_DIR } from './paths';

const KEY_FILE = path.join(DATA_DIR, 'next-dev', 'server-actions-key');

/** An AES-256 key, base64, as `openssl rand -base64 32` makes and Next.js reads. */
const isKey = (text: string) => /^[A-Za-z0-9+/]{43}=$/.test(text);

export async function devServerActionsKey(): Promise<string> {
  const stored = await readFile(KEY_FILE, 'utf8').then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    },
  );
  if (stored !== null && isKey(stored)) return stored;
  // Missing, or not a key (edited by hand): a new one costs one full compile, nothing else.
  const key = randomBytes(32).toString('base64');
  await mkdir(path.dirname(KEY_FILE), { recursive: true, mode: 0o700 });
  await writeFile(KEY_FILE, `${key}\n`, { mode: 0o600 });
  return key;
}
