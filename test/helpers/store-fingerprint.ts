// A cheap, exact fingerprint of everything an embedded stack has stored: for each subgraph's SQLite
// database, every table's row count and the text of every row (each column `quote()`d, so NULL,
// '' and 0 differ). Read through the subgraph's own connection, so it sees exactly what the
// subgraph committed. Used to prove that a refused request wrote nothing (compare before/after)
// and that a request moved no money (compare a `money` view).
//
// No column is excluded: nothing on a read or refused path is supposed to write (ApiKey.lastUsedAt
// and ManagementKey.lastUsedAt exist, but nothing updates them; if something starts to update
// them on a refused request, that is a write by a refused request and the fuzz should say so).
import { createHash } from 'node:crypto';
import type { SubgraphRuntime } from '../../subgraphs/common/subgraph';

interface Source {
  /** `subgraph.table` (or a view's name). */
  name: string;
  subgraph: string;
  sql: string;
}

export interface StoreSnapshot {
  /** name → row count and the rows' text (one line per row). */
  readonly tables: ReadonlyMap<string, { count: number; rows: string }>;
}

export interface TableChange {
  table: string;
  before: number;
  after: number;
  /** A few rows only in the before / after state (truncated), to show what changed. */
  removed: string[];
  added: string[];
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export class StoreFingerprint {
  private constructor(
    private readonly runtimes: Map<string, SubgraphRuntime>,
    private readonly sources: Source[],
  ) {}

  /** Every table of every subgraph database (SQLite only: the embedded stack). */
  static async open(runtimes: SubgraphRuntime[]): Promise<StoreFingerprint> {
    const sources: Source[] = [];
    for (const runtime of runtimes) {
      const connection = runtime.db.orm.em.getConnection();
      const driver = runtime.db.orm.config.get('driver')?.name ?? '';
      if (!/sql?lite|libsql/i.test(driver))
        throw new Error(`store fingerprint reads SQLite databases only (${runtime.name} uses ${driver})`);
      const tables = (await connection.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'mikro_orm_%' order by name",
      )) as { name: string }[];
      for (const { name } of tables) {
        const columns = (await connection.execute(
          `select name from pragma_table_info(${`'${name.replaceAll("'", "''")}'`}) order by cid`,
        )) as { name: string }[];
        const row = columns.map((c) => `quote(${quoteIdent(c.name)})`).join(` || '|' || `);
        sources.push({ name: `${runtime.name}.${name}`, subgraph: runtime.name, sql: `select ${row} as r from ${quoteIdent(name)}` });
      }
    }
    return new StoreFingerprint(new Map(runtimes.map((r) => [r.name, r])), sources);
  }

  /** The same reader over chosen queries (e.g. only the columns that hold money). */
  view(queries: { name: string; subgraph: string; sql: string }[]): StoreFingerprint {
    for (const query of queries) if (!this.runtimes.has(query.subgraph)) throw new Error(`no subgraph ${query.subgraph}`);
    return new StoreFingerprint(this.runtimes, queries);
  }

  get tableNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  /** One statement per subgraph (a union of per-table aggregates). */
  async snapshot(): Promise<StoreSnapshot> {
    const tables = new Map<string, { count: number; rows: string }>();
    const bySubgraph = new Map<string, Source[]>();
    for (const source of this.sources) bySubgraph.set(source.subgraph, [...(bySubgraph.get(source.subgraph) ?? []), source]);
    await Promise.all(
      [...bySubgraph].map(async ([subgraph, sources]) => {
        const connection = this.runtimes.get(subgraph)!.db.orm.em.getConnection();
        // Rows in a fixed order (their text), so that the fingerprint does not depend on scan order.
        const sql = sources
          .map(
            (source, i) =>
              `select ${i} as i, count(*) as n, coalesce(group_concat(r, char(10)), '') as rows from (select r from (${source.sql}) order by r)`,
          )
          .join(' union all ');
        const result = (await connection.execute(sql)) as { i: number; n: number; rows: string }[];
        for (const row of result) tables.set(sources[Number(row.i)].name, { count: Number(row.n), rows: String(row.rows) });
      }),
    );
    return { tables };
  }

  /** A short hash of a snapshot (for logs). */
  static hash(snapshot: StoreSnapshot): string {
    const hash = createHash('sha256');
    for (const [name, table] of [...snapshot.tables].sort(([a], [b]) => a.localeCompare(b)))
      hash.update(`${name}\0${table.count}\0${table.rows}\0`);
    return hash.digest('hex').slice(0, 16);
  }

  /** The tables whose rows differ, with a few of the differing rows. */
  static diff(before: StoreSnapshot, after: StoreSnapshot): TableChange[] {
    const changes: TableChange[] = [];
    for (const name of new Set([...before.tables.keys(), ...after.tables.keys()])) {
      const a = before.tables.get(name) ?? { count: 0, rows: '' };
      const b = after.tables.get(name) ?? { count: 0, rows: '' };
      if (a.count === b.count && a.rows === b.rows) continue;
      const aRows = new Set(a.rows ? a.rows.split('\n') : []);
      const bRows = new Set(b.rows ? b.rows.split('\n') : []);
      const clip = (rows: string[]) => rows.slice(0, 3).map((row) => (row.length > 300 ? `${row.slice(0, 300)}…` : row));
      changes.push({
        table: name,
        before: a.count,
        after: b.count,
        removed: clip([...aRows].filter((r) => !bRows.has(r))),
        added: clip([...bRows].filter((r) => !aRows.has(r))),
      });
    }
    return changes;
  }

  static describe(changes: TableChange[]): string {
    return changes
      .map(
        (c) =>
          `${c.table}: ${c.before} → ${c.after} rows${c.removed.length ? `\n    - ${c.removed.join('\n    - ')}` : ''}${c.added.length ? `\n    + ${c.added.join('\n    + ')}` : ''}`,
      )
      .join('\n');
  }
}

/** Money only: balances, the ledger, spend counters, and the priced part of usage records. */
export function moneyView(store: StoreFingerprint): StoreFingerprint {
  return store.view([
    {
      name: 'billing.account_balances',
      subgraph: 'billing',
      sql: "select account_id || '|' || balance_micros || '|' || promo_micros || '|' || earnings_pending_micros || '|' || earnings_available_micros || '|' || earnings_reserved_micros as r from account_balances",
    },
    {
      name: 'billing.ledger_entries',
      subgraph: 'billing',
      sql: "select id || '|' || account_id || '|' || bucket || '|' || amount_micros || '|' || balance_after_micros as r from ledger_entries",
    },
    { name: 'billing.key_usage.spend', subgraph: 'billing', sql: "select key_id || '|' || total_micros as r from key_usage" },
    {
      name: 'billing.key_usage_daily.spend',
      subgraph: 'billing',
      sql: "select key_id || '|' || day || '|' || micros as r from key_usage_daily",
    },
    {
      name: 'billing.group_usage_monthly',
      subgraph: 'billing',
      sql: "select group_id || '|' || month || '|' || micros as r from group_usage_monthly",
    },
    {
      name: 'billing.usage_records.priced',
      subgraph: 'billing',
      sql: "select request_id || '|' || cost_micros || '|' || seller_micros || '|' || fee_micros || '|' || reserve_micros as r from usage_records where cost_micros <> 0 or seller_micros <> 0 or fee_micros <> 0 or reserve_micros <> 0",
    },
  ]);
}
