/** The two stores every store test runs against: SQLite in a temp folder, PostgreSQL in a schema of its own. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { StoreLocation } from '../../src/store/open.js';
import { TEST_DATABASE_URL, tempFolder } from '../helpers.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty store location each call. */
  fresh(): Promise<StoreLocation>;
  /** Raw SQL against a location, the way someone tampering with the database would edit it. */
  exec(location: StoreLocation, statement: string): Promise<void>;
  /** The rows of a raw SELECT. */
  rows(location: StoreLocation, select: string): Promise<unknown[]>;
  /** Environment that points the CLI at a location. */
  env(location: StoreLocation): Record<string, string>;
}

const schemas: string[] = [];
afterAll(async () => {
  if (!TEST_DATABASE_URL || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  for (const schema of schemas.splice(0)) await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

const sqlite: Backend = {
  name: 'sqlite',
  fresh: async () => ({ kind: 'sqlite', path: join(await tempFolder({}), 'assay.db') }),
  exec: async (location, statement) => {
    if (location.kind !== 'sqlite') throw new Error('not a SQLite location');
    const database = new SqliteDatabase(location.path);
    try {
      database.exec(statement);
    } finally {
      database.close();
    }
  },
  rows: async (location, select) => {
    if (location.kind !== 'sqlite') throw new Error('not a SQLite location');
    const database = new SqliteDatabase(location.path, { readonly: true });
    try {
      return database.prepare(select).all();
    } finally {
      database.close();
    }
  },
  env: (location): Record<string, string> =>
    location.kind === 'sqlite' ? { ASSAY_HOME: join(location.path, '..') } : {},
};

const postgres = (url: string): Backend => ({
  name: 'postgres',
  fresh: async () => {
    const schema = `assay_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return { kind: 'postgres', url, schema };
  },
  exec: async (location, statement) => {
    await postgresQuery(url, location, statement);
  },
  rows: (location, select) => postgresQuery(url, location, select),
  env: (location): Record<string, string> =>
    location.kind === 'postgres'
      ? { ASSAY_DATABASE_URL: location.url, ASSAY_DATABASE_SCHEMA: location.schema ?? '' }
      : {},
});

async function postgresQuery(url: string, location: StoreLocation, statement: string): Promise<unknown[]> {
  if (location.kind !== 'postgres') throw new Error('not a PostgreSQL location');
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${location.schema}` });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

/** SQLite always; PostgreSQL when the test server is there (CI makes its absence an error, see helpers.ts). */
export const BACKENDS: Backend[] = [sqlite, ...(TEST_DATABASE_URL ? [postgres(TEST_DATABASE_URL)] : [])];
