// Subscription forwarding bookkeeping: subscribers with the same filter share one upstream
// subscription; closing the last client closes the upstream; open subscriptions are capped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { LiveJobFeedDocument } from '../../schema/generated/graphql';
import { startPlatform, type Platform } from '../../gateway/platform';
import { testConfig } from '../helpers/config';
import { wsClient } from '../helpers/graphql';
import { waitUntil } from '../helpers/eventually';

describe('gateway subscriptions', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ config: testConfig(), topology: 'embedded', subscriptionLimits: { maxPerAccount: 3 } });
  });
  afterAll(() => platform.stop());

  const subscribe = (client: ReturnType<typeof wsClient>, pipeline: string) => {
    const iterator = client.iterate({ query: print(LiveJobFeedDocument), variables: { pipeline } });
    const first = iterator.next();
    first.catch(() => {});
    return { iterator, first };
  };

  it('shares one upstream per filter and closes it with the last subscriber', async () => {
    const stats = () => platform.gateway.subscriptionStats();
    const clients = [wsClient(platform.gateway.url), wsClient(platform.gateway.url), wsClient(platform.gateway.url)];
    subscribe(clients[0], 'llm');
    subscribe(clients[1], 'llm');
    subscribe(clients[2], 'embeddings');
    await waitUntil(() => stats().open === 3);
    // Two anonymous viewers of llm share a group (one resolution per event); embeddings is another.
    expect(stats()).toEqual({ open: 3, upstreams: 2, groups: 2, droppedEvents: 0, droppingSubscribers: 0 });

    await clients[0].dispose();
    await waitUntil(() => stats().open === 2);
    expect(stats()).toEqual({ open: 2, upstreams: 2, groups: 2, droppedEvents: 0, droppingSubscribers: 0 });
    await clients[1].dispose();
    await waitUntil(() => stats().open === 1);
    expect(stats()).toEqual({ open: 1, upstreams: 1, groups: 1, droppedEvents: 0, droppingSubscribers: 0 });
    await clients[2].dispose();
    await waitUntil(() => stats().open === 0);
    expect(stats()).toEqual({ open: 0, upstreams: 0, groups: 0, droppedEvents: 0, droppingSubscribers: 0 });
  });

  it('caps open subscriptions per credential', async () => {
    const client = wsClient(platform.gateway.url);
    const subs = [1, 2, 3].map(() => subscribe(client, 'llm'));
    await waitUntil(() => platform.gateway.subscriptionStats().open === 3);
    const fourth = subscribe(client, 'llm');
    const refused = await fourth.first;
    expect(refused.value?.errors?.[0]?.message).toBe('Too many open subscriptions');
    expect(subs).toHaveLength(3);
    await client.dispose();
    await waitUntil(() => platform.gateway.subscriptionStats().open === 0);
  });

  it('refuses an invalid subscription before opening anything upstream', async () => {
    const client = wsClient(platform.gateway.url);
    const iterator = client.iterate({ query: 'subscription { jobFeed { nope } }' });
    await expect(iterator.next()).rejects.toBeDefined();
    expect(platform.gateway.subscriptionStats().upstreams).toBe(0);
    await client.dispose();
  });
});
