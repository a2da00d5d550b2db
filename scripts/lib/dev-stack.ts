/**
 * What `npm run dev` (or `npm run start:local`) is running for this
 * checkout, recorded in `.data/dev-stack.json` once everything listens and
 * removed when it stops, so that the project's other commands find it by
 * themselves, and a second `npm run dev` knows it would be one too many.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writePrivateFile } from '../../modules/cores/private-files';
import { isAlive } from './postgres-cluster';
import { DATA_DIR } from './paths';
import { startTimeOf } from './watchdog';

const STACK_FILE = path.join(DATA_DIR, 'dev-stack.json');

export interface DevStack {
  command: 'npm run dev' | 'npm run start:local';
  pid: number;
  /** The process's start time (/proc), so that a reused pid is not taken for it. */
  pidStart: string;
  startedAt: string;
  appUrl: string;
  emulator: { url: string; port: number } | null;
  database: { url: string; embedded: boolean };
}

/** The stack running for this checkout, if its process is alive. */
export function runningDevStack(): DevStack | null {
  let stack: DevStack;
  try {
    stack = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as DevStack;
  } catch {
    return null;
  }
  if (!isAlive(stack.pid) || (stack.pidStart && startTimeOf(stack.pid) !== stack.pidStart)) return null;
  return stack;
}

export async function recordDevStack(stack: Omit<DevStack, 'pid' | 'pidStart' | 'startedAt'>): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const record: DevStack = { ...stack, pid: process.pid, pidStart: startTimeOf(process.pid), startedAt: new Date().toISOString() };
  // It holds the database's URL, password included.
  await writePrivateFile(STACK_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

export async function forgetDevStack(): Promise<void> {
  if (runningDevStack()?.pid === process.pid) await rm(STACK_FILE, { force: true });
}
