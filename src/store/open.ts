import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { UserError } from '../core/user-error.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      url: string /** A schema of its own (created when missing) instead of `public`. */;
      schema?: string;
    };

export class StoreError extends UserError {}

/** How long a SQLite writer waits for another process's write to finish before giving up. */
const SQLITE_BUSY_TIMEOUT_MS = 15_000;
const STORE_FILE = 'assay.db';

/**
 * Where the store is: `ASSAY_DATABASE_URL` (postgres://…) when set, else `$ASSAY_HOME/assay.db`, else
 * `.assay/assay.db` in the working folder. `ASSAY_DATABASE_SCHEMA` puts a PostgreSQL store in its own schema.
 */
export function storeLocation(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): StoreLocation {
  const url = env.ASSAY_DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new StoreError(
        `ASSAY_DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/db), got ${redact(url)}; ` +
          'unset it to use the SQLite store under ASSAY_HOME',
      );
    return { kind: 'postgres', url, schema: env.ASSAY_DATABASE_SCHEMA || undefined };
  }
  return {
    kind: 'sqlite',
    path: join(env.ASSAY_HOME ? resolve(cwd, env.ASSAY_HOME) : join(cwd, '.assay'), STORE_FILE),
  };
}

export function describeLocation(location: StoreLocation): string {
  return location.kind === 'sqlite'
    ? location.path
    : `${redact(location.url)}${location.schema ? ` (schema ${location.schema})` : ''}`;
}

export interface OpenStoreOptions {
  /** When false, a SQLite store that does not exist yet is an error instead of being created (read-only commands). */
  create?: boolean;
  now?: () => Date;
}

/** Opens the store and brings its tables up to date (migrations are idempotent). */
export async function openStore(
  location: StoreLocation = storeLocation(),
  options: OpenStoreOptions = {},
): Promise<Store> {
  const db =
    location.kind === 'sqlite' ? openSqlite(location.path, options.create ?? true) : await openPostgres(location);
  const store = new KyselyStore(db, location.kind, describeLocation(location), options.now);
  try {
    await migrate(db, location);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openSqlite(path: string, create: boolean): Kysely<Database> {
  if (create) mkdirSync(dirname(path), { recursive: true });
  let database: SqliteDatabase.Database;
  try {
    database = new SqliteDatabase(path, { fileMustExist: !create, timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError(
      create
        ? `cannot open the store at ${path}: ${(error as Error).message}`
        : `no store at ${path} yet: nothing has been recorded (run \`assay audit <target>\`, or set ASSAY_HOME / ASSAY_DATABASE_URL to the store you mean)`,
    );
  }
  // WAL: readers never block the writer and a killed writer leaves the last committed state.
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

async function openPostgres(location: { url: string; schema?: string }): Promise<Kysely<Database>> {
  const { schema } = location;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new StoreError(`ASSAY_DATABASE_SCHEMA must be a plain lower-case identifier, got ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({
    connectionString: location.url,
    // Sizes and counts are bigint; they fit a double well within what a model store holds.
    types: { getTypeParser: (oid, format) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) },
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  pool.on('error', () => {
    // An idle client lost its server: the next query reports it to the caller.
  });
  if (schema) {
    try {
      await pool.query(`create schema if not exists ${schema}`);
    } catch (error) {
      await pool.end();
      throw new StoreError(`cannot reach the store at ${redact(location.url)}: ${(error as Error).message}`);
    }
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const INT8_OID = 20;

async function migrate(db: Kysely<Database>, location: StoreLocation) {
  // On PostgreSQL the migration tables are looked up in the store's own schema: kysely's existence check otherwise
  // sees another schema's tables (another store in the same database) and skips creating them.
  const migrationTableSchema = location.kind === 'postgres' ? (location.schema ?? 'public') : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema });
  // Two processes opening a fresh SQLite store at once can collide on the first migration; one retry settles it.
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    const code = (error as { code?: string }).code ?? '';
    // PostgreSQL: kysely's introspection resolves every table of the database by name, so another store's schema
    // dropped meanwhile fails it with 3F000 (no such schema) or 42P01 (no such table); a retry sees a settled catalog.
    const busy = code.startsWith('SQLITE_BUSY') || code === '3F000' || code === '42P01';
    if (!busy || attempt === 5)
      throw new StoreError(`cannot prepare the store at ${describeLocation(location)}: ${(error as Error).message}`);
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
