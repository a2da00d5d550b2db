import { describe, expect, it } from 'vitest';
import { DatabaseDeadlineError, withinDeadline } from './deadline';
import { isDatabaseUnavailable, isRetryableConflict } from './errors';

describe('withinDeadline', () => {
  it('answers what the call answers, when it answers in time', async () => {
    await expect(withinDeadline(Promise.resolve('row'), 1_000)).resolves.toBe('row');
    await expect(withinDeadline(Promise.reject(new Error('syntax error')), 1_000)).rejects.toThrow('syntax error');
  });

  it('gives up after the deadline with an error that means "database unavailable" (a 503), not a conflict to retry', async () => {
    const never = new Promise<never>(() => {});
    const error = await withinDeadline(never, 20).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseDeadlineError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'the database did not answer within 0.02 s' });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isRetryableConflict(error)).toBe(false);
  });
});
