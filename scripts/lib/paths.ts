import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, wherever a script is run from. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
