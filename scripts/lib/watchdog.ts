/**
 * Children (PostgreSQL, `next start`, the emulator) outlive a parent killed
 * with SIGKILL, since no handler of ours runs then. A tiny detached process
 * watches our pid and, if we die first, signals the child's whole process
 * group and, once it is gone, removes a throwaway directory.
 */
import { spawn } from 'node:child_process';

const SOURCE = `
  const [parent, target, signal, dir] = process.argv.slice(1);
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
  const timer = setInterval(() => {
    if (!alive(Number(target))) process.exit(0);
    if (alive(Number(parent))) return;
    clearInterval(timer);
    try { process.kill(-Number(target), signal); } catch { try { process.kill(Number(target), signal); } catch {} }
    const wait = setInterval(() => {
      if (alive(Number(target))) return;
      clearInterval(wait);
      if (dir) require('node:fs').rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }, 200);
  }, 500);`;

export function stopWithParent(childPid: number, options: { signal?: NodeJS.Signals; removeDir?: string } = {}): void {
  const watchdog = spawn(
    process.execPath,
    ['-e', SOURCE, String(process.pid), String(childPid), options.signal ?? 'SIGTERM', options.removeDir ?? ''],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
}
