/**
 * Whether a process is still running. A killed process whose parent is gone
 * can linger as a zombie (in a container without an init that reaps it):
 * signal 0 still reaches it, so /proc says whether it is one.
 */
import { readFileSync } from 'node:fs';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc here: signal 0 is all we know
  }
}
