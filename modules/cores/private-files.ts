/**
 * Files only their owner may read: the local tools' secrets (the emulator's
 * keys and sessions, the webhook secret, the embedded database's password
 * and URL). A mode given when a file is created does not change a file that
 * exists, so the modes are set again every time: copies made by older
 * versions were 0644 in 0755 directories.
 */
import { chmod, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * `dir` (created if missing) with `dirMode`, and every regular file directly
 * in it 0600. Directories and links inside are left as they are (an embedded
 * database's directory is its server's to guard).
 */
export async function keepPrivate(dir: string, dirMode = PRIVATE_DIR_MODE): Promise<void> {
  await mkdir(dir, { recursive: true, mode: dirMode });
  await chmod(dir, dirMode);
  for (const entry of await readdir(dir)) {
    const file = path.join(dir, entry);
    if ((await lstat(file)).isFile()) await chmod(file, PRIVATE_FILE_MODE);
  }
}

/** Write `file` readable by its owner only, whatever an older copy's mode was. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await writeFile(file, content, { mode: PRIVATE_FILE_MODE });
  await chmod(file, PRIVATE_FILE_MODE);
}
