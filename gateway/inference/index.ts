// Assembles the data plane from the gateway's links: snapshots through the federated graph,
// routing tables and health reports to market, usage batches to billing.
import type { Logger } from '../../subgraphs/common/log';
import type { FastifyInstance } from 'fastify';
import os from 'node:os';
import type { DocumentNode, FormattedExecutionResult } from 'graphql';
import { parse } from 'graphql';
import type { Config, SubgraphName } from '../../subgraphs/common/config';
import type { EventBus } from '../../subgraphs/common/bus';
import type { UsageEvent } from '../../subgraphs/common/events';
import type { Principal } from '../../subgraphs/common/principal';
import { KeyHasher } from '../../subgraphs/common/secrets';
import { SecretSealer } from '../../subgraphs/common/sealing';
import type { Clock } from '../../subgraphs/common/runtime';
import type { SubgraphLink } from '../subgraph-links';
import { MemoryBudgetGuard, RedisBudgetGuard, type BudgetGuard } from './budget';
import { KeySnapshotCache, toSnapshot, type KeySnapshotRow } from './key-snapshots';
import { ROUTING_TABLE_QUERY, RoutingCache, type RoutingTable } from './routing';
import { UsageEmitter } from './usage-emitter';
import { SUPPLY_MODEL_QUERY, SUPPLY_MODELS_QUERY, SupplyPages, type SupplyModel } from './supply-pages';
import { LISTING_REPUTATIONS_QUERY, ReputationTable, type Reputation } from './reputation';
import { registerDataPlane } from './routes';

const DATA_PLANE: Principal = { kind: 'service', name: 'data-plane' };
const APPLY_USAGE = 'mutation ApplyUsage($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const REPORT_OUTCOME =
  'mutation ReportOutcome($listingId: ID!, $ok: Boolean!, $reason: String, $contradictsClaims: Boolean) { reportListingOutcome(listingId: $listingId, ok: $ok, reason: $reason, contradictsClaims: $contradictsClaims) }';
const GENERATION = parse(
  'query DataPlaneGeneration($id: ID!) { generation(id: $id) { id model capability listingId inputTokens outputTokens characters cost { usd micros } latencyMs timeToFirstTokenMs status createdAt metering { reportedInputTokens reportedOutputTokens countedInputTokens countedOutputTokens cachedInputTokens reasoningTokens servedModel flags } receipt } }',
);
const SNAPSHOT_KEY =
  'query KeySnapshotKey($keyHash: String!) { keySnapshot(keyHash: $keyHash) { id name accountId status expiredAt ipAllow ipDeny allowedModels limit { micros } cycle rpmLimit tpmLimit maxParallelRequests groupId group { monthlyBudget { micros } rpmLimit tpmLimit maxParallelRequests } routingProfileId } }';
const SNAPSHOT_MONEY =
  'query KeySnapshotMoney($representations: [_Any!]!) { _entities(representations: $representations) { ... on ApiKey { usageInCycle { micros } usageInTotal { micros } } ... on Account { balance { micros } } ... on KeyGroup { usageThisMonth { micros } } } }';

export interface DataPlane {
  usage: UsageEmitter;
  /** Network's live-traffic figures per listing, refreshed in the background (routing weights). */
  reputation: ReputationTable;
  /** Inference requests in flight and shed (503) on this process. */
  load(): { inFlight: number; shed: number };
  close(): Promise<void>;
}

export function startDataPlane(
  app: FastifyInstance,
  options: {
    config: Config;
    bus: EventBus;
    clock: Clock;
    random?: () => number;
    links: Map<SubgraphName, SubgraphLink>;
    /** A query through the federated graph (the gateway's own executor). */
    query(document: DocumentNode, variables: Record<string, unknown>, principal: Principal): Promise<FormattedExecutionResult>;
    newRequestId(): string;
    log: Logger;
  },
): DataPlane {
  const { config, bus, links } = options;
  const direct = async (subgraph: SubgraphName, query: string, variables: Record<string, unknown>) => {
    const link = links.get(subgraph);
    if (!link) throw new Error(`no link to ${subgraph}`);
    const result = await link.execute(query, variables, DATA_PLANE, options.newRequestId());
    if (result.errors?.length) throw new Error(result.errors[0].message);
    return result.data as Record<string, unknown>;
  };
  // keySnapshot is platform-only (@inaccessible, not in the public API): the key from accounts, then
  // its spend, its group's and its account's balance from billing by entity reference.
  const snapshots = new KeySnapshotCache(async (keyHash) => {
    const key = (await direct('accounts', SNAPSHOT_KEY, { keyHash })).keySnapshot as Omit<
      KeySnapshotRow,
      'usageInCycle' | 'group' | 'account'
    > | null;
    if (!key) return null;
    const representations = [
      { __typename: 'ApiKey', id: key.id, cycle: key.cycle },
      { __typename: 'Account', id: key.accountId },
      ...(key.groupId ? [{ __typename: 'KeyGroup', id: key.groupId }] : []),
    ];
    const [spend, account, group] = (await direct('billing', SNAPSHOT_MONEY, { representations }))._entities as [
      { usageInCycle: { micros: number } | null; usageInTotal: { micros: number } | null },
      { balance: { micros: number } | null },
      { usageThisMonth: { micros: number } | null } | undefined,
    ];
    const keyGroup = (key as { group?: Omit<NonNullable<KeySnapshotRow['group']>, 'usageThisMonth'> | null }).group ?? null;
    return toSnapshot({
      ...key,
      usageInCycle: spend?.usageInCycle ?? null,
      usageInTotal: spend?.usageInTotal ?? null,
      account: { balance: account?.balance ?? null },
      group: key.groupId
        ? { ...keyGroup, monthlyBudget: keyGroup?.monthlyBudget ?? null, usageThisMonth: group?.usageThisMonth ?? null }
        : null,
    });
  }, bus);
  const routing = new RoutingCache(
    async (model, profileId) => (await direct('market', ROUTING_TABLE_QUERY, { model, profileId })).routingTable as RoutingTable | null,
    bus,
  );
  const budget: BudgetGuard = config.busUrl ? new RedisBudgetGuard(config.busUrl, config.busNamespace, bus) : new MemoryBudgetGuard(bus);
  const usage = new UsageEmitter(async (events: UsageEvent[]) => {
    try {
      await direct('billing', APPLY_USAGE, { events });
    } catch (error) {
      // Kept and retried with backoff (applied once by request id); said so, without the events.
      options.log.warn({ err: error, events: events.length, pending: usage.pending }, 'usage batch not applied; retrying');
      throw error;
    }
  });
  // Refreshed by a timer, never per request: routing reads it from memory.
  const reputation = new ReputationTable(
    async () => (await direct('network', LISTING_REPUTATIONS_QUERY, { windowMinutes: 15 })).listingReputations as Reputation[],
    Number(config.env.REPUTATION_REFRESH_MS) > 0 ? Number(config.env.REPUTATION_REFRESH_MS) : 10_000,
    undefined,
    undefined,
    (error) => options.log.warn({ err: error }, 'reputation table not refreshed; keeping the last one'),
  );
  reputation.start();
  // The public pages are read as the platform: they select public fields only.
  const supplyRead = async (document: DocumentNode, variables: Record<string, unknown>) => {
    const result = await options.query(document, variables, DATA_PLANE);
    if (result.errors?.length && !result.data) throw new Error(result.errors[0].message);
    return (result.data ?? {}) as { models?: SupplyModel[]; model?: SupplyModel | null };
  };
  const supplyModels = parse(SUPPLY_MODELS_QUERY);
  const supplyModel = parse(SUPPLY_MODEL_QUERY);
  const supply = new SupplyPages({
    models: async () => (await supplyRead(supplyModels, {})).models ?? [],
    model: async (id) => (await supplyRead(supplyModel, { id })).model ?? null,
  });

  const plane = registerDataPlane(app, {
    snapshots,
    routing,
    reputation,
    budget,
    usage,
    bus,
    keyHasher: new KeyHasher(config.platformSecret),
    sealer: new SecretSealer(config.platformSecret),
    clock: options.clock,
    random: options.random,
    replica: process.env.GATEWAY_NAME ?? `${os.hostname()}:${process.pid}`,
    listingCooldownMs: config.listingCooldownMs,
    maxInFlight: config.dataPlane.maxInFlight,
    maxInFlightPerAccount: config.dataPlane.maxInFlightPerAccount,
    shedEventLoopDelayMs: config.dataPlane.shedEventLoopDelayMs,
    metering: { toleranceBps: config.dataPlane.meteringToleranceBps, slackTokens: config.dataPlane.meteringSlackTokens },
    defaultMaxOutputTokens: config.dataPlane.defaultMaxOutputTokens,
    idleTimeoutMs: config.dataPlane.streamIdleTimeoutMs,
    totalTimeoutMs: config.dataPlane.streamTotalTimeoutMs,
    supply,
    generation: async (snapshot, id) => {
      const result = await options.query(GENERATION, { id }, { kind: 'buyer-key', accountId: snapshot.accountId, keyId: snapshot.keyId });
      return (result.data as { generation?: Record<string, unknown> } | null)?.generation ?? null;
    },
    reportOutcome: (listingId, ok, reason, contradictsClaims = false) => {
      void direct('market', REPORT_OUTCOME, { listingId, ok, reason, contradictsClaims }).catch(() => {});
    },
  });

  return {
    usage,
    reputation,
    load: () => {
      return { inFlight: plane.shedder.active, shed: plane.shedder.shed };
    },
    close: async () => {
      reputation.close();
      const left = await usage.close();
      if (left > 0) process.stderr.write(`data plane: ${left} usage events could not be delivered before shutdown\n`);
      snapshots.close();
      routing.close();
      await budget.close();
    },
  };
}
