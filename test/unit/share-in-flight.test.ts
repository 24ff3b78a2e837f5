// Identical concurrent subgraph queries for the same principal are sent once; everything else is not.
import { describe, expect, it } from 'vitest';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { shareInFlightQueries } from '../../gateway/subgraph-links';
import type { Principal } from '../../subgraphs/common/principal';

function countingSource() {
  const calls: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const source: GraphQLDataSource = {
    async process(options) {
      calls.push(options.request.query!);
      await gate;
      return { data: { listing: { id: 'l1', seller: { id: 's1' } } } };
    },
  };
  return { source, calls, release };
}

const ask = (source: GraphQLDataSource, query: string, principal: Principal, variables: Record<string, unknown> = {}) =>
  source.process({ kind: 'incoming operation', request: { query, variables }, context: { principal, requestId: 'r' } } as unknown as GraphQLDataSourceProcessOptions);

const anonymous: Principal = { kind: 'anonymous' };
const alice: Principal = { kind: 'user', accountId: 'alice' };

describe('shareInFlightQueries', () => {
  it('sends identical concurrent queries of one principal once and gives each caller its own copy', async () => {
    const { source, calls, release } = countingSource();
    const shared = shareInFlightQueries(source);
    const answers = [ask(shared, 'query { listing { id } }', anonymous), ask(shared, 'query { listing { id } }', anonymous), ask(shared, 'query { listing { id } }', anonymous)];
    release();
    const [a, b, c] = await Promise.all(answers);
    expect(calls).toHaveLength(1);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    (a.data as { listing: { id: string } }).listing.id = 'mutated';
    expect((b.data as { listing: { id: string } }).listing.id).toBe('l1');
    expect(a.data).not.toBe(c.data);
  });

  it('does not share across principals, variables, finished requests or mutations', async () => {
    const { source, calls, release } = countingSource();
    const shared = shareInFlightQueries(source);
    const pending = [
      ask(shared, 'query { listing { id } }', anonymous),
      ask(shared, 'query { listing { id } }', alice),
      ask(shared, 'query ($id: ID!) { listing(id: $id) { id } }', anonymous, { id: 'a' }),
      ask(shared, 'query ($id: ID!) { listing(id: $id) { id } }', anonymous, { id: 'b' }),
      ask(shared, 'mutation { pause }', alice),
      ask(shared, 'mutation { pause }', alice),
    ];
    release();
    await Promise.all(pending);
    expect(calls).toHaveLength(6);
    await ask(shared, 'query { listing { id } }', anonymous);
    expect(calls).toHaveLength(7);
  });
});
