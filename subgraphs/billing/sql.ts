// Set-based SQL for the hot money paths (usage ingestion, settlement), which the unit of work
// would turn into one statement per row. The same text runs on SQLite and PostgreSQL: `?`
// placeholders, `insert … on conflict … returning`.
import type { EntityManager, Knex } from '@mikro-orm/knex';

export interface Sql {
  all<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  run(query: string, params?: unknown[]): Promise<void>;
  /** A Date as this database's driver stores it (SQLite: epoch ms; PostgreSQL: timestamptz). */
  date(value: Date): unknown;
  /**
   * Serialises transactions that take this name, until the transaction ends (PostgreSQL: an
   * advisory lock; SQLite's write transactions are serial already).
   */
  serialize(name: string): Promise<void>;
  /**
   * Inserts `rows` (values in `columns`' order) into `table`, `tail` appended (`on conflict …`,
   * `returning …`), and returns what `returning` gave. The rows go as one JSON parameter
   * (PostgreSQL: `json_populate_recordset`, typed by the table itself; SQLite: `json_each`): one
   * short statement per call instead of thousands of placeholders to parse and bind.
   */
  insertRows<T = Record<string, unknown>>(
    table: string,
    columns: readonly string[],
    rows: readonly unknown[][],
    tail?: string,
  ): Promise<T[]>;
  /** `column in (values)` as one condition, the values as one JSON parameter. */
  inList(column: string, values: readonly string[]): { condition: string; params: unknown[] }[];
}

export function sqlFor(em: EntityManager): Sql {
  const platform = em.getPlatform();
  // Straight to knex with bound parameters: the driver sends values separately (PostgreSQL's
  // extended protocol), instead of the ORM quoting thousands of them into the statement text.
  const knex = () => (em.getTransactionContext() as Knex.Transaction | undefined) ?? em.getKnex();
  const rows = (result: unknown) => (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []));
  const postgres = /postgre/i.test(platform.constructor.name);
  return {
    all: async (query, params = []) => rows(await knex().raw(query, params as Knex.RawBinding[])) as never,
    run: async (query, params = []) => {
      await knex().raw(query, params as Knex.RawBinding[]);
    },
    date: (value) => platform.processDateProperty(value),
    serialize: async (name) => {
      if (postgres) await knex().raw('select pg_advisory_xact_lock(hashtext(?))', [name]);
    },
    insertRows: async <T>(table: string, columns: readonly string[], values: readonly unknown[][], tail = '') => {
      if (values.length === 0) return [] as T[];
      const list = columns.join(', ');
      if (postgres) {
        const records = values.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])));
        return rows(
          await knex().raw(`insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, ?::json) ${tail}`, [
            JSON.stringify(records),
          ]),
        ) as T[];
      }
      // SQLite: the rows as one JSON array of arrays, read back column by column (`where true`
      // keeps an upsert's `on conflict` from being read as the select's join constraint).
      const select = columns.map((_, i) => `value ->> ${i}`).join(', ');
      return rows(
        await knex().raw(`insert into ${table} (${list}) select ${select} from json_each(?) where true ${tail}`, [JSON.stringify(values)]),
      ) as T[];
    },
    inList: (column, values) => {
      if (values.length === 0) return [];
      return [
        {
          condition: `${column} in (select ${postgres ? 'json_array_elements_text(?::json)' : 'value from json_each(?)'})`,
          params: [JSON.stringify(values)],
        },
      ];
    },
  };
}

/** A date read back from either database. */
export function readDate(value: unknown): Date {
  return value instanceof Date
    ? value
    : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
}

/** Rows of `width` parameters each, in chunks that stay under every driver's parameter limit. */
export function* chunks<T>(rows: readonly T[], width: number, maxParams = 30_000): Generator<T[]> {
  const size = Math.max(1, Math.floor(maxParams / width));
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

export const placeholders = (width: number, rows: number) =>
  Array.from({ length: rows }, () => `(${Array(width).fill('?').join(', ')})`).join(', ');
