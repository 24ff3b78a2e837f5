// In scaled mode every gateway replica delivers every job, whichever replica served the request:
// jobs travel on Redis, the network subgraph announces each stored job, and each replica's
// shared upstream subscription passes it to its own subscribers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { LiveJobFeedDocument } from '../../schema/generated/graphql';
import { wsClient } from '../helpers/graphql';
import { startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';

if (!HAVE_SCALED_SERVICES) logSkip('job feed fan-out across two gateway processes on Redis');

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled: the job feed on every gateway replica', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startScaledStack({}, 2);
  }, 90_000);
  afterAll(() => stack?.stop());

  it('delivers the same job to subscribers of both replicas', async () => {
    const received: string[][] = [[], []];
    const clients = stack.gatewayUrls.map((url) => wsClient(url));
    const loops = clients.map(async (client, i) => {
      for await (const event of client.iterate({ query: print(LiveJobFeedDocument), variables: { pipeline: 'llm' } })) {
        received[i].push((event.data as { jobFeed: { id: string } }).jobFeed.id);
      }
    });
    loops.forEach((loop) => loop.catch(() => {}));
    const published: string[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !published.some((id) => received.every((list) => list.includes(id)))) {
      const id = `req_${randomUUID()}`;
      published.push(id);
      const now = Date.now();
      await stack.bus.publish('job.finished', {
        id,
        pipeline: 'llm',
        model: 'acme/x',
        status: 'completed',
        startedAt: new Date(now - 100).toISOString(),
        finishedAt: new Date(now).toISOString(),
        latencyMs: 100,
      });
      await new Promise((r) => setTimeout(r, 250));
    }
    await Promise.all(clients.map((client) => client.dispose()));
    const common = published.filter((id) => received.every((list) => list.includes(id)));
    expect(common.length).toBeGreaterThan(0);
    // Nothing delivered that was not published, and nothing twice.
    for (const list of received) {
      expect(list.every((id) => published.includes(id))).toBe(true);
      expect(new Set(list).size).toBe(list.length);
    }
  });
});
