/** The mutation gate's arithmetic: every file at least 85%, the run at least 90%, every listed file reported. */
import { describe, expect, it } from 'vitest';
import type { FileResultDictionary, MutantStatus } from 'mutation-testing-report-schema';
import { gateFailures, listedOnly, resultsTable, scores, undetectedList } from './test-mutation';

/** A report file with mutants of these statuses. */
function file(statuses: Partial<Record<MutantStatus, number>>, reason?: string): FileResultDictionary[string] {
  const mutants = Object.entries(statuses).flatMap(([status, count]) =>
    Array.from({ length: count }, (_, i) => ({
      id: `${status}-${i}`,
      mutatorName: 'ConditionalExpression',
      replacement: 'true',
      location: { start: { line: i + 1, column: 1 }, end: { line: i + 1, column: 5 } },
      status: status as MutantStatus,
      ...(status === 'Ignored' && reason ? { statusReason: reason } : {}),
    })),
  );
  return { language: 'typescript', source: '', mutants };
}

describe('the mutation gate', () => {
  it('passes files at 85% and a run at 90%, counting timeouts as detected and leaving ignored mutants out', () => {
    const report = { 'a.ts': file({ Killed: 80, Timeout: 5, Survived: 10, NoCoverage: 5, Ignored: 3 }), 'b.ts': file({ Killed: 100 }) };
    const result = scores(report);
    expect(result.files.map(({ file: name, metrics }) => [name, metrics.mutationScore])).toEqual([
      ['a.ts', 85],
      ['b.ts', 100],
    ]);
    expect(result.total.mutationScore).toBe(92.5);
    expect(gateFailures(result, ['a.ts', 'b.ts'])).toEqual([]);
  });

  it('fails a file under 85% even when the run is over 90%', () => {
    const result = scores({ 'weak.ts': file({ Killed: 84, Survived: 16 }), 'strong.ts': file({ Killed: 900 }) });
    expect(result.total.mutationScore).toBeGreaterThan(90);
    expect(gateFailures(result)).toEqual(['weak.ts scores 84.0%, under 85%']);
  });

  it('fails a run under 90% even when every file is at 85%', () => {
    const result = scores({ 'a.ts': file({ Killed: 89, Survived: 11 }), 'b.ts': file({ Killed: 88, NoCoverage: 12 }) });
    expect(gateFailures(result)).toEqual(['the run scores 88.5%, under 90%']);
  });

  it('fails when a file of the mutate list is missing from the report, and ignores files with nothing to score', () => {
    const result = scores({ 'a.ts': file({ Killed: 10 }), 'types.ts': file({ Ignored: 2 }) });
    expect(gateFailures(result, ['a.ts', 'types.ts', 'gone.ts'])).toEqual(['gone.ts is in the mutate list but not in the report']);
  });

  it('counts static mutants ignored by the configuration instead of listing them, and leaves them out of the score', () => {
    const withStatics = file({ Killed: 9, Survived: 1 });
    withStatics.mutants.push(...file({ Ignored: 3 }, 'Static mutant (and "ignoreStatic" was enabled)').mutants.map((m) => ({ ...m, static: true })));
    expect(undetectedList({ 'schema.ts': withStatics })).toBe(
      ['', '### `schema.ts`', '', '3 static mutants (module-level code) ignored by the configuration (docs/decisions/017).', '', '| line | status | mutator | replacement | reason |', '|---|---|---|---|---|', '| 1 | Survived | ConditionalExpression | `true` |  |'].join('\n'),
    );
    expect(scores({ 'schema.ts': withStatics }).files[0]!.metrics.mutationScore).toBe(90);
  });

  it('lists every undetected and ignored mutant with its line and reason, and the table with the totals', () => {
    const report = { 'a.ts': file({ Killed: 2, Survived: 1, Ignored: 1 }, 'equivalent: only a shortcut') };
    expect(undetectedList(report)).toBe(
      ['', '### `a.ts`', '', '| line | status | mutator | replacement | reason |', '|---|---|---|---|---|', '| 1 | Survived | ConditionalExpression | `true` |  |', '| 1 | Ignored | ConditionalExpression | `true` | equivalent: only a shortcut |'].join('\n'),
    );
    expect(resultsTable(scores(report))).toBe(
      ['| file | killed | timeout | survived | no coverage | ignored | score % |', '|---|---|---|---|---|---|---|', '| a.ts | 2 | 0 | 1 | 0 | 1 | 66.7 |', '| total | 2 | 0 | 1 | 0 | 1 | 66.7 |'].join('\n'),
    );
  });

  it('scores only the files the configuration lists, not one an incremental run carried over from the committed report', () => {
    const report = { 'listed.ts': file({ Killed: 10 }), 'dropped.ts': file({ Killed: 1, Survived: 9 }) };
    const result = scores(listedOnly(report, ['listed.ts']));
    expect(result.files.map(({ file: name }) => name)).toEqual(['listed.ts']);
    expect(gateFailures(result, ['listed.ts'])).toEqual([]);
    expect(gateFailures(scores(report), ['listed.ts'])).toEqual(['dropped.ts scores 10.0%, under 85%', 'the run scores 55.0%, under 90%']);
  });
});
