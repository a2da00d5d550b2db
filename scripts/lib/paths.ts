import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, wherever a script is run from. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Local data of `npm run dev`: the embedded database, the emulator's keys and state, what is running. */
export const DATA_DIR = path.join(ROOT, '.data');
