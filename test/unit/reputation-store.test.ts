// Reputation survives a restart: the job feed stores each job's failure class and the listings it
// moved away from, and a new replica's windows warm from it (SQLite and PostgreSQL), skipping what
// it heard on the bus already.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase, type Database } from '../../subgraphs/common/db';
import { InMemoryBus } from '../../subgraphs/common/bus';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { networkEntities } from '../../subgraphs/network/server';
import { recordJobs } from '../../subgraphs/network/services/network';
import { ReputationWindows, warmReputation } from '../../subgraphs/network/services/reputation';
import { TEST_DATABASE_URL } from '../helpers/config';
import { createTestDatabase } from '../helpers/postgres';

const stores: { label: string; open(): Promise<{ db: Database; close(): Promise<void> }> }[] = [
  {
    label: 'SQLite',
    open: async () => {
      const db = await openDatabase('network', networkEntities, { dataDir: mkdtempSync(path.join(tmpdir(), 'df-network-')) });
      return { db, close: () => db.close() };
    },
  },
];
if (TEST_DATABASE_URL) {
  const url = TEST_DATABASE_URL;
  stores.push({
    label: 'PostgreSQL',
    open: async () => {
      const database = await createTestDatabase(url);
      const db = await openDatabase('network', networkEntities, {
        dataDir: mkdtempSync(path.join(tmpdir(), 'df-network-')),
        databaseUrl: database.url,
      });
      return { db, close: async () => (await db.close(), await database.drop()) };
    },
  });
} else {
  console.warn('SKIPPED: reputation warm-up on PostgreSQL (set TEST_DATABASE_URL to run it)');
}

const NOW = new Date('2026-03-01T12:30:00.000Z');
let n = 0;
const job = (minutesAgo: number, over: Partial<JobFinishedEvent> = {}): JobFinishedEvent => {
  const finished = new Date(NOW.getTime() - minutesAgo * 60_000);
  return {
    id: `req_warm_${++n}`,
    pipeline: 'llm',
    model: 'acme/sim-chat',
    status: 'completed',
    startedAt: new Date(finished.getTime() - 400).toISOString(),
    finishedAt: finished.toISOString(),
    latencyMs: 400,
    timeToFirstTokenMs: 80,
    outputUnits: 20,
    listingId: 'L1',
    ...over,
  };
};

describe.each(stores)('reputation warm-up on $label', (store) => {
  it('rebuilds the windows from the stored jobs: failure classes and swaps included, buyer faults still out', async () => {
    const { db, close } = await store.open();
    try {
      const events = [
        ...Array.from({ length: 6 }, () => job(5)),
        job(4, { status: 'failed', failure: 'transient' }),
        job(4, { status: 'failed', failure: 'caller' }),
        job(4, { status: 'cancelled', failure: 'buyer-abort' }),
        job(3, { listingId: 'L2', swappedFrom: ['L1'] }),
        job(90), // older than the hour: not read back
      ];
      await recordJobs(db.orm.em.fork() as EntityManager, new InMemoryBus(), events);
      const live = new ReputationWindows();
      for (const event of events) live.record(event, NOW);

      const warmed = new ReputationWindows();
      const read = await warmReputation(db.orm.em.fork() as EntityManager, warmed, NOW);
      expect(read).toBe(events.length - 1);
      for (const id of ['L1', 'L2']) expect(warmed.figures(id, NOW, 60)).toEqual(live.figures(id, NOW, 60));
      expect(warmed.figures('L1', NOW, 60)).toMatchObject({ requests: 8, failures: 2, successRate: 0.75 });

      // Jobs that finished once the bus was heard are not read again.
      const partial = new ReputationWindows();
      await warmReputation(db.orm.em.fork() as EntityManager, partial, NOW, new Date(NOW.getTime() - 4.5 * 60_000));
      expect(partial.figures('L1', NOW, 60)).toMatchObject({ requests: 6, failures: 0 });
    } finally {
      await close();
    }
  });
});
