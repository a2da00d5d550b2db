/**
 * Children (PostgreSQL, `next start`, the emulator) outlive a parent killed
 * with SIGKILL, since no handler of ours runs then. A tiny detached process
 * watches our pid and, if we die first, signals the child's whole process
 * group and, once it is gone, removes a throwaway directory.
 *
 * Processes are recognised by pid *and* start time (Linux /proc), so a pid
 * reused by a new process after ours ended is never mistaken for it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's start time in clock ticks since boot, or '' where /proc is not there. */
export function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const SOURCE = `
  const fs = require('node:fs');
  const [parent, parentStart, target, targetStart, signal, dir] = process.argv.slice(1);
  const startOf = (pid) => { try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] || ''; } catch { return ''; } };
  const alive = (pid, start) => {
    try { process.kill(Number(pid), 0); } catch (e) { if (e.code !== 'EPERM') return false; }
    return !start || startOf(pid) === start;
  };
  const timer = setInterval(() => {
    if (!alive(target, targetStart)) process.exit(0);
    if (alive(parent, parentStart)) return;
    clearInterval(timer);
    try { process.kill(-Number(target), signal); } catch { try { process.kill(Number(target), signal); } catch {} }
    const wait = setInterval(() => {
      if (alive(target, targetStart)) return;
      clearInterval(wait);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }, 200);
  }, 500);`;

export function stopWithParent(childPid: number, options: { signal?: NodeJS.Signals; removeDir?: string } = {}): void {
  const watchdog = spawn(
    process.execPath,
    [
      '-e',
      SOURCE,
      String(process.pid),
      startTimeOf(process.pid),
      String(childPid),
      startTimeOf(childPid),
      options.signal ?? 'SIGTERM',
      options.removeDir ?? '',
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
}
