import { describe, expect, it } from 'vitest';
import { versionMismatches } from './baseline-build';

describe('versionMismatches', () => {
  const installed: Record<string, string> = { next: '16.4.6', pg: '8.23.1', vitest: '4.1.12' };
  const lookup = (name: string) => installed[name] ?? null;

  it('is empty when every package the commit pins is installed at that version (more installed is fine)', () => {
    expect(versionMismatches({ dependencies: { next: '16.4.6' }, devDependencies: { vitest: '4.1.12' } }, lookup)).toEqual([]);
    expect(versionMismatches({}, lookup)).toEqual([]);
  });

  it('names each package pinned at another version or not installed, dependencies and devDependencies alike', () => {
    expect(versionMismatches({ dependencies: { next: '16.4.5', pg: '8.23.1' }, devDependencies: { tsx: '4.0.0' } }, lookup)).toEqual([
      'next: the commit pins 16.4.5, installed here 16.4.6',
      'tsx: the commit pins 4.0.0, installed here nothing',
    ]);
  });
});
