// Each subgraph owns its storage: its own SQLite file in embedded mode, its own PostgreSQL schema at
// scale. The schema is brought up to date at start, additively (`safe`: no column or table drops).
import path from 'node:path';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { MikroORM, DefaultLogger, type LoggerOptions, type LogContext, type EntityClass, type Options } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Config, SubgraphName } from './config';

/** Counts SQL statements (tests prove DataLoader batching with it); writes nothing, so logs hold no SQL. */
export class StatementCounter extends DefaultLogger {
  static readonly counts = new Map<string, number>();
  constructor(
    options: LoggerOptions,
    private readonly subgraph: string,
  ) {
    super(options);
  }
  override logQuery(context: { query: string } & LogContext): void {
    if (context.level === 'error') return;
    StatementCounter.counts.set(this.subgraph, (StatementCounter.counts.get(this.subgraph) ?? 0) + 1);
  }
  override log(): void {}
}

export interface Database {
  orm: MikroORM;
  /** SQL statements run so far by this subgraph's connection. */
  statementCount(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A database that stops answering (packets dropped rather than refused) fails a request within
 * 10 s instead of knex's 60 s default: connecting may take 5 s, waiting for a pooled connection 10 s.
 */
const POOL_TIMEOUTS = { createTimeoutMillis: 5_000, acquireTimeoutMillis: 10_000 };
/** The driver's own: a connection attempt gives up after 5 s; the server cancels a statement running 15 s. */
const PG_TIMEOUTS = { connectionTimeoutMillis: 5_000, statement_timeout: 15_000 };

/** The data dir holds the stores and the platform secret: owner-only (0700), made so if it exists. */
export function privateDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    // Not ours to change (a mounted volume): the files in it are still 0600.
  }
}

export async function openDatabase(
  subgraph: SubgraphName,
  entities: EntityClass<unknown>[],
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
): Promise<Database> {
  const counterKey = `${subgraph}:${Math.random().toString(36).slice(2)}`;
  const common: Partial<Options> = {
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    loggerFactory: (options) => new StatementCounter(options, counterKey),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // Explicit property types everywhere: no reliance on emitted decorator metadata (tsx emits none).
    ensureDatabase: false,
  };
  let orm: MikroORM;
  if (config.databaseUrl) {
    // Every connection resolves unqualified names in the subgraph's own schema (raw SQL included).
    const afterCreate = (
      connection: { query(sql: string, done: (error: Error | null) => void): void },
      done: (error: Error | null, connection: unknown) => void,
    ) => connection.query(`set search_path to "${subgraph}"`, (error) => done(error, connection));
    orm = await MikroORM.init({
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: config.databaseUrl,
      schema: subgraph,
      pool: { min: 0, max: 10, afterCreate, ...POOL_TIMEOUTS },
      driverOptions: { connection: PG_TIMEOUTS },
    } as Options);
    await orm.em.getConnection().execute(`create schema if not exists "${subgraph}"`);
    await orm.schema.updateSchema({ safe: true, dropTables: false, schema: subgraph });
  } else {
    const file = path.join(config.dataDir, `${subgraph}.db`);
    privateDataDir(config.dataDir);
    // Created owner-only before SQLite opens it (its -wal and -shm files take the same mode).
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    orm = await MikroORM.init({ ...common, driver: LibSqlDriver, dbName: file } as Options);
    await orm.em.getConnection().execute('pragma journal_mode = wal');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000');
    // WAL + synchronous=NORMAL: a commit is durable across process crashes and never corrupts the
    // file; only an OS crash or power loss can drop the last commits. FULL would fsync per commit.
    await orm.em.getConnection().execute('pragma synchronous = normal');
    await orm.schema.updateSchema({ safe: true, dropTables: false });
    for (const extra of [`${file}-wal`, `${file}-shm`]) if (existsSync(extra)) chmodSync(extra, 0o600);
  }
  return {
    orm,
    statementCount: () => StatementCounter.counts.get(counterKey) ?? 0,
    ping: async () => {
      await orm.em.getConnection().execute('select 1');
    },
    close: async () => {
      await orm.close(true);
      StatementCounter.counts.delete(counterKey);
    },
  };
}
