/**
 * The commit a measurement describes: HEAD, and whether the code differed
 * from it (uncommitted changes outside the results), so that a figure can
 * always be traced to the code that produced it.
 */
import { execFileSync } from 'node:child_process';
import { ROOT } from '../../scripts/lib/paths';

export interface MeasuredCommit {
  commit: string;
  /** Uncommitted changes to anything but bench/results at the time of the run. */
  dirty: boolean;
}

export function measuredCommit(): MeasuredCommit {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  // Each line is "XY path": its leading space is part of the status, so nothing may trim it.
  const changes = git('status', '--porcelain', '--untracked-files=no')
    .split('\n')
    .filter((line) => line && !line.slice(3).startsWith('bench/results/'));
  return { commit: git('rev-parse', 'HEAD').trim(), dirty: changes.length > 0 };
}

/** "commit abc123def456" (and "with uncommitted changes" when so), for a report's first line. */
export const describeCommit = ({ commit, dirty }: MeasuredCommit) => `commit \`${commit.slice(0, 12)}\`${dirty ? ' **with uncommitted changes**' : ''}`;
