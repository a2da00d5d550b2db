import { describe, expect, it } from 'vitest';
import { newRowId } from './sync-statement';

describe('newRowId', () => {
  it('is "c", the time in base 36 and 16 characters of randomness, all lower-case letters and digits, and never repeats', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2_000 }, () => newRowId());
    const after = Date.now();
    for (const id of ids) {
      expect(id).toMatch(/^c[0-9a-z]{8}[0-9a-z]{16}$/);
      const at = parseInt(id.slice(1, 9), 36);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
