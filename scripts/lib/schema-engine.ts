/**
 * Prisma's own schema engine, compiled to WebAssembly, driven through the pg
 * driver adapter: migrations applied and diffed without the native engine
 * binary that the Prisma CLI downloads at first use (unreachable offline).
 *
 * It writes the standard `_prisma_migrations` table with the same checksums
 * as `prisma migrate deploy`, so the CLI and this module agree about any
 * database. The wasm engine's API is internal to Prisma: every use of it
 * stays in this module, and tests/integration/migrations.test.ts pins it.
 * Its version must match the `prisma` package's engines (see package.json).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { ROOT } from './paths';

export const SCHEMA_PATH = path.join(ROOT, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = path.join(ROOT, 'prisma', 'migrations');

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

type EngineModule = typeof import('@prisma/schema-engine-wasm');
let engineModule: Promise<EngineModule> | undefined;

/** Node 20 cannot `import` a .wasm file, so instantiate the bindings by hand. */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    // Where the engine leaves a panic's message, as the Prisma CLI sets it up.
    const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { message: string; set_message(message: string): void } };
    holder.PRISMA_WASM_PANIC_REGISTRY ??= {
      message: '',
      set_message(message: string) {
        this.message = `Prisma schema engine panicked: ${message}`;
      },
    };
    const bindingsPath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bindings = (await import(pathToFileURL(bindingsPath).href)) as EngineModule & { __wbg_set_wasm(exports: unknown): void };
    const wasmPath = path.join(path.dirname(bindingsPath), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
    return bindings;
  })();
  return engineModule;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const CHAR_COLUMNS = Symbol('char columns');

type PgResultLike = { fields?: { dataTypeID: number }[]; rows?: unknown[] };
type RowsWithCharColumns = unknown[] & { [CHAR_COLUMNS]?: number[] };

/** pg level: let `"char"` columns through as text, remembering which they were. */
function markCharColumns<T>(result: T): T {
  const { fields, rows } = (result ?? {}) as PgResultLike;
  if (!fields || !rows) return result;
  const indexes = fields.flatMap((field, index) => (field.dataTypeID === PG_CHAR_OID ? [index] : []));
  if (indexes.length === 0) return result;
  for (const index of indexes) fields[index]!.dataTypeID = PG_TEXT_OID;
  Object.defineProperty(rows, CHAR_COLUMNS, { value: indexes });
  return result;
}

/**
 * The engine reads PostgreSQL's catalogs, whose one-byte `"char"` columns
 * (relkind, contype, ...) the pg adapter rejects as an unsupported type (the
 * native engine has its own driver and never meets this). This client lets
 * them through as text and marks them; `restoreCharColumns` then reports them
 * to the engine as the Character type it reads them as.
 */
class CatalogReadingClient extends pg.Client {
  // pg's overloads cannot be re-declared one by one: forward them all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const callbackIndex = args.findIndex((arg) => typeof arg === 'function');
    if (callbackIndex >= 0) {
      const callback = args[callbackIndex] as (error: Error | null, result: unknown) => void;
      args[callbackIndex] = (error: Error | null, result: unknown) => callback(error, error ? result : markCharColumns(result));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (super.query as any)(...args);
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const returned = (super.query as any)(...args) as unknown;
    return returned instanceof Promise ? returned.then(markCharColumns) : returned;
  }
}

function restoreCharColumns(result: SqlResultSet): SqlResultSet {
  const indexes = (result.rows as RowsWithCharColumns)[CHAR_COLUMNS];
  for (const index of indexes ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
  return result;
}

type Disposable = { dispose(): Promise<void> };

type ScriptRunner = { underlyingDriver(): { query(text: string): Promise<unknown> }; onError(error: unknown): never };

/**
 * Adapter level: every queryable the factory hands out (pools, transactions,
 * shadow databases) reports `"char"` columns as Character. Connections opened
 * are collected in `opened`, since the engine does not close them itself.
 *
 * And a migration script runs whole, as one simple query, as the native
 * engine runs it: the pg adapter's `executeScript` splits it at every `;`,
 * which breaks any function body (`$$ … ; … $$`) and any comment with a `;`.
 */
function withCharColumns<T extends object>(target: T, opened: Disposable[]): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (property === 'executeScript' && 'underlyingDriver' in object) {
        const runner = object as unknown as ScriptRunner;
        return async (script: string) => {
          try {
            await runner.underlyingDriver().query(script);
          } catch (error) {
            runner.onError(error);
          }
        };
      }
      if (property === 'queryRaw') {
        return async (query: unknown) => restoreCharColumns((await value.call(object, query)) as SqlResultSet);
      }
      if (property === 'connect' || property === 'connectToShadowDb') {
        return async (...args: unknown[]) => {
          const adapter = (await value.apply(object, args)) as Disposable;
          opened.push(adapter);
          return withCharColumns(adapter, opened);
        };
      }
      if (property === 'startTransaction') {
        return async (...args: unknown[]) => withCharColumns((await value.apply(object, args)) as object, opened);
      }
      return value.bind(object);
    },
  });
}

/** Read the migrations folder the way the Prisma CLI does. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const lockPath = 'migration_lock.toml';
  const lockContent = await readFile(path.join(dir, lockPath), 'utf8').catch(() => null);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry) => {
        const content = await readFile(path.join(dir, entry.name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        );
        return { path: entry.name, migrationFile: { path: 'migration.sql', content } };
      }),
  );
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return { baseDir: dir, lockfile: { path: lockPath, content: lockContent }, migrationDirectories, shadowDbInitScript: '' };
}

async function readSchemaFiles(schemaPath = SCHEMA_PATH) {
  return [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
}

/** Run `fn` with an engine connected to `url`; the engine and its pool are always released. */
function urlWithDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The pg adapter factory, with shadow databases that really are separate:
 * PrismaPg's own `connectToShadowDb` keeps the connection string, whose
 * database name wins over the one it sets, so the "shadow" replay would run
 * in the target database itself. Ours creates a fresh database, connects to
 * it by URL, and drops it on dispose.
 */
function adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory {
  const factory = (connectionString: string) => new PrismaPg({ connectionString, Client: CatalogReadingClient });
  const main = factory(url);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb() {
      const name = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
      const admin = await main.connect();
      await admin.executeScript(`CREATE DATABASE "${name}"`);
      const shadow = await factory(urlWithDatabase(url, name)).connect();
      let disposed = false;
      return new Proxy(shadow, {
        get(target, property) {
          if (property !== 'dispose') {
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          }
          return async () => {
            if (disposed) return;
            disposed = true;
            await target.dispose();
            await admin.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
            await admin.dispose();
          };
        },
      });
    },
  };
}

export async function withSchemaEngine<T>(url: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const files = await readSchemaFiles();
  const opened: Disposable[] = [];
  const adapter = bindMigrationAwareSqlAdapterFactory(withCharColumns(adapterFactory(url), opened));
  const engine = await SchemaEngine.new(
    { datamodels: files.map((file) => [file.path, file.content]) },
    () => {}, // the engine's own trace log; errors come back as rejections
    adapter,
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    // Shadow databases are dropped by their dispose; the main pool last.
    for (const connection of opened.reverse()) await connection.dispose().catch(() => {});
  }
}

/** Apply every migration not yet recorded in `_prisma_migrations`; returns their names. */
export async function applyMigrations(url: string): Promise<string[]> {
  return withSchemaEngine(url, async (engine) => {
    const migrationsList = await readMigrations();
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return appliedMigrationNames;
  });
}

/**
 * SQL that takes a database from the end state of prisma/migrations to
 * prisma/schema.prisma; empty when they agree (no drift). The engine replays
 * the migrations on a throwaway shadow database that it creates, and drops,
 * on the server at `url`; nothing else on that server is touched.
 */
export async function diffMigrationsToSchema(url: string, schemaPath = SCHEMA_PATH): Promise<string> {
  return withSchemaEngine(url, async (engine) => {
    const result = await engine.diff({
      from: { tag: 'migrations', ...(await readMigrations()) },
      to: { tag: 'schemaDatamodel', files: await readSchemaFiles(schemaPath) },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    return normalizeScript(result.stdout ?? '');
  });
}

/** A migration directory name as the Prisma CLI makes it: `20250101093000_add_post_slug`. */
export function migrationDirectoryName(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}_${name}`;
}

/** Scripts that only create the already-present `public` schema are no change. */
function normalizeScript(script: string): string {
  const meaningful = script
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--') && line.trim() !== 'CREATE SCHEMA IF NOT EXISTS "public";');
  return meaningful.length === 0 ? '' : script;
}
