// One request of each dialect (chat, Responses, Completions, Anthropic Messages) from one buyer:
// each is billed once, shows in the job feed, and is one row of the spend log with its end user
// and tags, whatever API it arrived through; the spend log's total is what the balance lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingOverviewDocument, JobFeedDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import { expectLedgerBalanced } from '../helpers/ledger';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const MODEL = 'acme/sim-chat';

/** Each dialect's body, naming the end user its own way. */
const CALLS: { dialect: string; path: string; body: Record<string, unknown>; headers?: Record<string, string> }[] = [
  {
    dialect: 'chat',
    path: '/v1/chat/completions',
    body: { model: MODEL, max_tokens: 8, user: 'u-chat', messages: [{ role: 'user', content: 'hi [chat]' }] },
  },
  {
    dialect: 'responses',
    path: '/v1/responses',
    body: { model: MODEL, max_output_tokens: 8, user: 'u-responses', input: 'hi [responses]' },
  },
  {
    dialect: 'completions',
    path: '/v1/completions',
    body: { model: MODEL, max_tokens: 8, user: 'u-completions', prompt: 'hi [completions]' },
  },
  {
    dialect: 'messages',
    path: '/v1/messages',
    body: { model: MODEL, max_tokens: 8, metadata: { user_id: 'u-messages' }, messages: [{ role: 'user', content: 'hi [messages]' }] },
    headers: { 'anthropic-version': '2023-06-01' },
  },
];

describe('every dialect in the spend log and the job feed', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-dialects'] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    const seller = (await signup(stack.url, 'seller')).jwt;
    await admittedListing(stack.url, seller, {
      poolKeyId: await poolKey(stack.url, seller, 'sk-sim-dialects'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('bills each dialect once, with its end user and tags on its spend-log row and its job in the feed', async () => {
    const buyer = await fundedBuyer(stack.url, '1');
    const before = (await graphql(stack.url, BillingOverviewDocument, {}, buyer.jwt)).data!.me.balance!.micros;
    const sent: { dialect: string; requestId: string }[] = [];
    for (const call of CALLS) {
      const response = await fetch(`${stack.url}${call.path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${buyer.key}`,
          'content-type': 'application/json',
          'x-df-tags': `dialect:${call.dialect}`,
          ...call.headers,
        },
        body: JSON.stringify(call.body),
      });
      expect(response.status, `${call.dialect}: ${await response.clone().text()}`).toBe(200);
      sent.push({ dialect: call.dialect, requestId: response.headers.get('x-request-id')! });
    }

    const rows = await eventually(async () => {
      const response = await fetch(`${stack.url}/api/usage/requests?limit=50`, { headers: { authorization: `Bearer ${buyer.jwt}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        requests: { id: string; user: string | null; tags: string[]; status: string; costMicros: number }[];
      };
      expect(page.requests).toHaveLength(CALLS.length);
      return page.requests;
    });
    for (const { dialect, requestId } of sent) {
      const row = rows.find((r) => r.id === requestId);
      expect(row, dialect).toMatchObject({ user: `u-${dialect}`, tags: [`dialect:${dialect}`], status: 'completed' });
      expect(row!.costMicros, dialect).toBeGreaterThan(0);
    }
    // Billed exactly once each: the balance fell by the sum of the rows, no more.
    const spent = rows.reduce((sum, r) => sum + r.costMicros, 0);
    await eventually(async () =>
      expect((await graphql(stack.url, BillingOverviewDocument, {}, buyer.jwt)).data!.me.balance!.micros).toBe(before - spent),
    );

    const feed = await graphql(stack.url, JobFeedDocument, { limit: 200 });
    const jobs = new Set(feed.data!.jobFeed.map((j) => j.id));
    for (const { dialect, requestId } of sent) expect(jobs.has(requestId), dialect).toBe(true);
    await expectLedgerBalanced(stack);
  });
});
