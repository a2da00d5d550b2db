/** Stopping a child process: ask politely, insist after a while, resolve once it has exited. */
import type { ChildProcess } from 'node:child_process';

export interface StopOptions {
  signal?: NodeJS.Signals;
  /** Sent if the child is still there after `graceMs`. */
  forceSignal?: NodeJS.Signals;
  graceMs?: number;
  /** Signal the child's whole process group (it was spawned `detached`). */
  group?: boolean;
}

export async function stopProcess(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const { signal = 'SIGTERM', forceSignal = 'SIGKILL', graceMs = 10_000, group = false } = options;
  const send = (s: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, s);
      else child.kill(s);
    } catch {
      // already gone
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  send(signal);
  const timer = setTimeout(() => send(forceSignal), graceMs);
  await exited;
  clearTimeout(timer);
}
