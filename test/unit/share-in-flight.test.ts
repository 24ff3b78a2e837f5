// Identical concurrent subgraph queries for the same principal are sent once; everything else is not.
import { describe, expect, it } from 'vitest';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { dedupeRepresentations, shareInFlightQueries } from '../../gateway/subgraph-links';
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
  source.process({
    kind: 'incoming operation',
    request: { query, variables },
    context: { principal, requestId: 'r' },
  } as unknown as GraphQLDataSourceProcessOptions);

const anonymous: Principal = { kind: 'anonymous' };
const alice: Principal = { kind: 'user', accountId: 'alice' };

describe('shareInFlightQueries', () => {
  it('sends identical concurrent queries of one principal once and gives each caller its own copy', async () => {
    const { source, calls, release } = countingSource();
    const shared = shareInFlightQueries(source);
    const answers = [
      ask(shared, 'query { listing { id } }', anonymous),
      ask(shared, 'query { listing { id } }', anonymous),
      ask(shared, 'query { listing { id } }', anonymous),
    ];
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

describe('dedupeRepresentations', () => {
  it('resolves each distinct representation once and spreads answers and errors back to every position', async () => {
    const sent: unknown[][] = [];
    const source: GraphQLDataSource = {
      async process(options) {
        const reps = options.request.variables!.representations as { __typename: string; id: string }[];
        sent.push(reps);
        return {
          data: {
            _entities: reps.map((rep) => (rep.id === 'bad' ? null : { __typename: 'Listing', id: rep.id, seller: { id: `s-${rep.id}` } })),
          },
          errors: reps.flatMap((rep, i) => (rep.id === 'bad' ? [{ message: 'Listing not found', path: ['_entities', i] }] : [])),
        };
      },
    };
    const reps = ['a', 'b', 'a', 'bad', 'a', 'bad'].map((id) => ({ __typename: 'Listing', id }));
    const answer = await dedupeRepresentations(source).process({
      kind: 'incoming operation',
      request: {
        query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Listing { id } } }',
        variables: { representations: reps },
      },
      context: {},
    } as unknown as GraphQLDataSourceProcessOptions);
    expect(sent).toEqual([['a', 'b', 'bad'].map((id) => ({ __typename: 'Listing', id }))]);
    const entities = (answer.data as { _entities: ({ id: string; seller: { id: string } } | null)[] })._entities;
    expect(entities.map((e) => e?.id ?? null)).toEqual(['a', 'b', 'a', null, 'a', null]);
    expect(entities[0]).not.toBe(entities[2]);
    entities[0]!.seller.id = 'changed';
    expect(entities[2]!.seller.id).toBe('s-a');
    expect(answer.errors!.map((e) => e.path)).toEqual([
      ['_entities', 3],
      ['_entities', 5],
    ]);
  });

  it('passes a fetch with distinct representations, or none, through untouched', async () => {
    const calls: unknown[] = [];
    const source: GraphQLDataSource = {
      async process(options) {
        calls.push(options.request.variables);
        return { data: { ok: true } };
      },
    };
    const deduped = dedupeRepresentations(source);
    const distinct = {
      representations: [
        { __typename: 'Listing', id: 'a' },
        { __typename: 'Listing', id: 'b' },
      ],
    };
    await deduped.process({ request: { query: '{ x }', variables: distinct }, context: {} } as unknown as GraphQLDataSourceProcessOptions);
    await deduped.process({ request: { query: '{ x }' }, context: {} } as unknown as GraphQLDataSourceProcessOptions);
    expect(calls).toEqual([distinct, undefined]);
  });
});
