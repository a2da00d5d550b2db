/**
 * `.data`, the local tools' own directory (the embedded database, the
 * emulator's keys and state, what is running, the database's password),
 * readable by its owner only: files 0600, the emulator's directory 0700,
 * set again at every start so that an older checkout's 0644 files are fixed
 * too. As root `.data` itself stays enterable (0711, not listable), because
 * the server runs as the `postgres` OS user and must reach `.data/postgres`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { keepPrivate } from '../../modules/cores/private-files';
import { DATA_DIR } from './paths';
import { serverIdentity } from './postgres-cluster';

export async function keepLocalDataPrivate(dataDir = DATA_DIR): Promise<void> {
  await keepPrivate(dataDir, serverIdentity().uid === undefined ? 0o700 : 0o711);
  if (existsSync(path.join(dataDir, 'clerk-emulator'))) await keepPrivate(path.join(dataDir, 'clerk-emulator'));
}
