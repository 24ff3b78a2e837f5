// What per-request routing adds on the data plane, in process (µs per request): the selection of
// provider-routing.ts (filters, the weighted draw with reputation weights, sticky lookup) over
// tables of 2, 5 and 10 listings, with and without a `provider` object and tools; and the O(1)
// reputation lookup alone. Per-request samples after a JIT warm-up, p50 and p99, 3 rounds.
import { parse } from '../../gateway/inference/parse';
import { selectSupply, StickyRoutes } from '../../gateway/inference/provider-routing';
import { ReputationTable, type Reputation } from '../../gateway/inference/reputation';
import { InferenceRequest } from '../../gateway/inference/request';
import type { KeySnapshot } from '../../gateway/inference/key-snapshots';
import type { Candidate, RoutingTable } from '../../gateway/inference/routing';
import { percentile } from './load';

type Figure = { min: number; median: number; max: number };
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const figure = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: round3(sorted[0]), median: round3(sorted[Math.floor(sorted.length / 2)]), max: round3(sorted[sorted.length - 1]) };
};
const SAMPLES = 20_000;
const WARMUP = 2_000;

function table(size: number): RoutingTable {
  const candidates: Candidate[] = Array.from({ length: size }, (_, i) => ({
    listingId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sellerId: `seller-${i}`,
    sellerHandle: `seller${i}`,
    provider: 'custom',
    baseUrl: 'http://127.0.0.1:1/v1',
    upstreamModel: 'sim-chat',
    sealedApiKey: '',
    sealContext: '',
    inputPriceMicrosPerMTok: 1_000_000 + i * 50_000,
    outputPriceMicrosPerMTok: 2_000_000,
    blendedPriceMicros: 3_000_000 + i * 50_000,
    priceMicrosPerMChars: null,
    caps: null,
    contractState: 'ACTIVE',
    supportedParameters: i % 2 === 0 ? ['tools', 'tool_choice', 'json_schema'] : [],
    contextLength: 16_384,
    maxOutputTokens: 4_096,
    quantization: 'fp16',
    dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: i % 3 === 0 },
  }));
  return {
    model: 'bench/sim-chat',
    capability: 'CHAT',
    candidates,
    fallbackModels: [],
    timeoutMs: null,
    maxRetries: null,
    allowFallbacks: true,
  };
}

const snapshot = { keyId: 'bench-key' } as KeySnapshot;

export async function routeSelectionScenario(rounds: number): Promise<Record<string, unknown>> {
  const reputation = new ReputationTable(
    async (): Promise<Reputation[]> =>
      Array.from({ length: 5_000 }, (_, i) => ({
        listingId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        windowMinutes: 15,
        requests: 100,
        successRate: 0.9 + (i % 10) / 100,
        ttftP50Ms: 200 + (i % 7) * 300,
        ttftP95Ms: 900,
        latencyP50Ms: 400,
        latencyP95Ms: 1_200,
        tokensPerSecond: 50,
      })),
  );
  await reputation.refresh();
  const sticky = new StickyRoutes();
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const bodies: Record<string, (i: number) => Record<string, unknown>> = {
    'default draw': (i) => ({ model: 'bench/sim-chat', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 64 }),
    'tools + provider object': (i) => ({
      model: 'bench/sim-chat',
      messages: [{ role: 'user', content: `question ${i}` }],
      tools,
      provider: { ignore: ['seller1'], data_collection: 'deny', quantizations: ['fp16', 'bf16'] },
    }),
    'sticky session': () => ({ model: 'bench/sim-chat', messages: [{ role: 'user', content: 'same conversation' }], max_tokens: 64 }),
  };
  const results: Record<string, unknown> = {};
  for (const size of [2, 5, 10]) {
    const routing = table(size);
    for (const [name, body] of Object.entries(bodies)) {
      const p50: number[] = [];
      const p99: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const samples: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          // Parsed outside the timing: the figure is selection alone (parse is metering's figure).
          const request = new InferenceRequest('bench', 'chat', body(i), new Date(0), '127.0.0.1');
          request.snapshot = snapshot;
          parse(request, name === 'sticky session' ? { sessionHeader: 'bench-session' } : {});
          const started = performance.now();
          const chosen = selectSupply(request, [routing], { reputation, sticky });
          if (request.conversation) sticky.remember(request.conversation, chosen[0].listingId);
          samples.push((performance.now() - started) * 1000);
        }
        samples.splice(0, WARMUP);
        samples.sort((a, b) => a - b);
        p50.push(percentile(samples, 50));
        p99.push(percentile(samples, 99));
      }
      results[`routing.selectUs.p50 (${size} listings, ${name})`] = figure(p50);
      results[`routing.selectUs.p99 (${size} listings, ${name})`] = figure(p99);
    }
  }
  const lookups: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let sink = 0;
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) sink += reputation.weightOf(`00000000-0000-4000-8000-${String(i % 5_000).padStart(12, '0')}`);
    lookups.push(((performance.now() - started) * 1000) / 1_000_000);
    if (sink < 0) throw new Error('unreachable');
  }
  results['routing.reputationLookupUs (5,000 listings held, incl. building the id)'] = figure(lookups);
  reputation.close();
  return results;
}
