/** Per-user write limits counted in PostgreSQL, on the database's clock. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_DELETE_LIMIT, NAME_CHANGE_LIMIT } from '@/modules/account/src/interfaces/account.schema';
import { consumeRateLimit, type RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { POST_CREATE_LIMIT, POST_DELETE_LIMIT, POST_EDIT_LIMIT } from '@/modules/posts/src/interfaces/post.schema';
import { prisma } from '../helpers/prisma';

const limit = (max: number, windowSeconds = 60): RateLimit => ({ action: 'test.write', max, windowSeconds, message: 'Too fast.' });

afterEach(() => {
  vi.useRealTimers();
});

describe('a rate limit', () => {
  it('allows its maximum per window and user, counting concurrent attempts exactly, then says how long to wait', async () => {
    const at = new Date(Date.UTC(2026, 5, 1, 12, 0, 30));
    const results = await Promise.all(Array.from({ length: 12 }, () => consumeRateLimit('user_a', limit(10), at)));
    expect(results.filter((result) => result.allowed)).toHaveLength(10);
    expect(results.map((result) => result.retryAfterSeconds)).toEqual(Array(12).fill(30));
    // Another user, or another action, counts apart.
    expect((await consumeRateLimit('user_b', limit(10), at)).allowed).toBe(true);
    expect((await consumeRateLimit('user_a', { ...limit(10), action: 'test.other' }, at)).allowed).toBe(true);
    // The next window opens again.
    expect(await consumeRateLimit('user_a', limit(10), new Date(at.getTime() + 30_000))).toEqual({ allowed: true, retryAfterSeconds: 60 });
  });

  it('counts on the database\'s clock, whatever the instance\'s clock says', async () => {
    const [{ now }] = (await prisma().$queryRaw<{ now: Date }[]>`SELECT now() AS now`) as [{ now: Date }];
    // This instance's clock is 25 years off.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
    const verdict = await consumeRateLimit('user_clock', limit(5));
    vi.useRealTimers();
    expect(verdict.allowed).toBe(true);
    expect(verdict.retryAfterSeconds).toBeGreaterThan(0);
    expect(verdict.retryAfterSeconds).toBeLessThanOrEqual(60);
    const window = await prisma().rateLimitWindow.findFirstOrThrow({ where: { key: 'user_clock:test.write' } });
    expect(Math.abs(window.windowStart.getTime() - now.getTime())).toBeLessThan(61_000);
  });

  it('exists for every write of the product, with a window the pruning covers', () => {
    const limits = [POST_CREATE_LIMIT, POST_EDIT_LIMIT, POST_DELETE_LIMIT, NAME_CHANGE_LIMIT, ACCOUNT_DELETE_LIMIT];
    expect(new Set(limits.map((l) => l.action)).size).toBe(limits.length);
    for (const l of limits) {
      expect(l.max).toBeGreaterThan(0);
      expect(l.windowSeconds).toBeLessThanOrEqual(3600);
    }
  });
});
