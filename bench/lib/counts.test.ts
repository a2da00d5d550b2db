import { describe, expect, it } from 'vitest';
import { compareCounts } from './counts';

describe('compareCounts', () => {
  const expected = { 'statements per render': 3, 'calls per render': 0 };

  it('names a count above its expectation, and one below it, and passes those equal to it', () => {
    expect(
      compareCounts(
        [
          { name: 'statements per render', where: '0 posts', value: 3 },
          { name: 'statements per render', where: '10 posts', value: 3.005 },
          { name: 'statements per render', where: '1000 posts', value: 2 },
          { name: 'calls per render', where: '0 posts', value: 0 },
          { name: 'calls per render', where: '10 posts', value: 1 },
        ],
        expected,
      ),
    ).toEqual({
      risen: ['statements per render (10 posts): 3.005, expected at most 3', 'calls per render (10 posts): 1, expected at most 0'],
      lowered: ['statements per render (1000 posts): 2, below the expected 3'],
    });
  });

  it('takes an average that only rounding moved off its expectation as equal to it', () => {
    expect(compareCounts([{ name: 'statements per render', where: 'x', value: (0.1 + 0.2) * 10 }], { 'statements per render': 3 })).toEqual({ risen: [], lowered: [] });
  });
});
