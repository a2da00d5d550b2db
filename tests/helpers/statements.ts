/**
 * What PostgreSQL receives from this test file's database, counted by the
 * server itself: `pg_stat_statements` (loaded by the test cluster, created
 * once in its maintenance database by the global setup), read by database id
 * from an admin connection to that maintenance database, so that reading the
 * counts is never counted. Counts are differences between two readings:
 * top-level statements (round trips, BEGIN and COMMIT included), statements
 * nested in functions (the sync's plpgsql), rows, WAL records.
 *
 * Whatever else reaches the database between the readings is counted too:
 * measure the steady state (a warm-up request first: the pool's first
 * connection, just-in-time provisioning, the Clerk instance's first record),
 * with no background work (`DATA_PRUNE_INTERVAL_MINUTES=0` for an app).
 *
 * With TEST_DATABASE_URL naming a server without pg_stat_statements (or
 * without `pg_stat_statements.track = all`), the counting tests are skipped
 * with the reason; in CI they fail instead.
 */
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/** One statement's share of a measurement (pg_stat_statements' normalised text: parameters as $1, $2…). */
export interface StatementStats {
  query: string;
  toplevel: boolean;
  calls: number;
  rows: number;
  walRecords: number;
}

export interface StatementCounts {
  /** Statements clients sent: round trips, BEGIN and COMMIT included. */
  topLevel: number;
  /** Statements run inside functions (the sync's database functions). */
  nested: number;
  /** Rows the top-level statements returned or changed. */
  rows: number;
  /** WAL records of the top-level statements (their nested statements' included): 0 is "wrote nothing". */
  walRecords: number;
  /** Every statement that ran, most calls first, for failure messages and for picking one out (`callsOf`). */
  statements: StatementStats[];
}

interface Reading {
  entries: Map<string, StatementStats>;
  /** Entries pg_stat_statements evicted so far: any eviction would make a difference wrong. */
  deallocations: number;
}

export class StatementCounter {
  private constructor(
    private readonly admin: pg.Client,
    private readonly databaseId: number,
  ) {}

  /**
   * The counter for this file's database (DATABASE_URL), closed after the
   * file; null when the test server cannot count (a warning says why), and
   * in CI an error instead.
   */
  static async open(databaseUrl = process.env.DATABASE_URL!): Promise<StatementCounter | null> {
    const admin = new pg.Client({ connectionString: inject('databaseServerUrl') });
    await admin.connect();
    const unavailable = await whyNotCounting(admin);
    if (unavailable) {
      await admin.end();
      const message =
        `Statement counting tests cannot run: ${unavailable}. Start the test server with ` +
        "shared_preload_libraries = 'pg_stat_statements' and pg_stat_statements.track = all (the test setup then creates the extension " +
        'in the database TEST_DATABASE_URL names; a role that may not do so must have it created there), or unset TEST_DATABASE_URL: the embedded server has both.';
      if (process.env.CI) throw new Error(message);
      console.warn(`${message} Skipped.`);
      return null;
    }
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    const { rows } = await admin.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [name]);
    if (!rows[0]) throw new Error(`no database ${name} on the test server`);
    const counter = new StatementCounter(admin, rows[0].oid);
    afterAll(() => admin.end());
    return counter;
  }

  private async read(): Promise<Reading> {
    const [{ rows }, info] = await Promise.all([
      this.admin.query<{ key: string; query: string; toplevel: boolean; calls: number; rows: number; wal: number }>(
        `SELECT userid || ':' || queryid || ':' || toplevel AS key, query, toplevel,
                calls::float8 AS calls, rows::float8 AS rows, wal_records::float8 AS wal
         FROM pg_stat_statements WHERE dbid = $1`,
        [this.databaseId],
      ),
      this.admin.query<{ dealloc: number }>('SELECT dealloc::float8 AS dealloc FROM pg_stat_statements_info'),
    ]);
    return {
      entries: new Map(rows.map((row) => [row.key, { query: row.query, toplevel: row.toplevel, calls: row.calls, rows: row.rows, walRecords: row.wal }])),
      deallocations: info.rows[0]!.dealloc,
    };
  }

  /** A reading to measure from: `counts(since)` gives what the database received after it. */
  async mark(): Promise<Reading> {
    return this.read();
  }

  /** What the database received since `mark`. */
  async counts(mark: Reading): Promise<StatementCounts> {
    const now = await this.read();
    if (now.deallocations !== mark.deallocations) {
      throw new Error('pg_stat_statements evicted entries during the measurement: raise pg_stat_statements.max (scripts/lib/postgres-cluster.ts)');
    }
    const statements: StatementStats[] = [];
    for (const [key, entry] of now.entries) {
      const before = mark.entries.get(key);
      const calls = entry.calls - (before?.calls ?? 0);
      if (calls === 0) continue;
      statements.push({ ...entry, calls, rows: entry.rows - (before?.rows ?? 0), walRecords: entry.walRecords - (before?.walRecords ?? 0) });
    }
    statements.sort((a, b) => b.calls - a.calls || a.query.localeCompare(b.query));
    const sum = (of: StatementStats[], field: 'calls' | 'rows' | 'walRecords') => of.reduce((total, s) => total + s[field], 0);
    const topLevel = statements.filter((s) => s.toplevel);
    return {
      topLevel: sum(topLevel, 'calls'),
      nested: sum(statements.filter((s) => !s.toplevel), 'calls'),
      rows: sum(topLevel, 'rows'),
      walRecords: sum(topLevel, 'walRecords'),
      statements,
    };
  }

  /** What the database received while `fn` ran, and its result. */
  async measure<T>(fn: () => Promise<T>): Promise<{ result: T; counts: StatementCounts }> {
    const mark = await this.mark();
    const result = await fn();
    return { result, counts: await this.counts(mark) };
  }
}

/** The top-level statements whose text contains `text`: their calls and rows. */
export function callsOf(counts: StatementCounts, text: string): { calls: number; rows: number } {
  const matching = counts.statements.filter((s) => s.toplevel && s.query.includes(text));
  return { calls: matching.reduce((total, s) => total + s.calls, 0), rows: matching.reduce((total, s) => total + s.rows, 0) };
}

/** The statements of a measurement, one a line (calls, nested or not, the text shortened): a failure's message. */
export function listStatements(counts: StatementCounts): string {
  return counts.statements.map((s) => `${s.calls}× ${s.toplevel ? '' : '(nested) '}${s.query.replace(/\s+/g, ' ').slice(0, 160)}`).join('\n');
}

/** Why this server cannot count what it receives, or null when it can. */
async function whyNotCounting(admin: pg.Client): Promise<string | null> {
  try {
    await admin.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
  } catch (error) {
    return `pg_stat_statements cannot be read on the test server (${error instanceof Error ? error.message : String(error)})`;
  }
  const { rows } = await admin.query<{ track: string }>("SELECT current_setting('pg_stat_statements.track') AS track");
  if (rows[0]!.track !== 'all') return `pg_stat_statements.track is ${rows[0]!.track}, so statements nested in functions are not counted`;
  return null;
}
