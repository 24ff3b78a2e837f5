// The billing subgraph: money. Applies usage, grants trial credit on new accounts, and settles
// seller earnings on a schedule.
import type { EntityManager } from '@mikro-orm/knex';
import { graphql } from 'graphql';
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { AccountBalance } from './entities/AccountBalance';
import { GroupUsageMonthly } from './entities/GroupUsageMonthly';
import { KeyUsage } from './entities/KeyUsage';
import { KeyUsageDaily } from './entities/KeyUsageDaily';
import { LedgerEntry } from './entities/LedgerEntry';
import { ProviderLoginSession } from './entities/ProviderLoginSession';
import { UsageRecord } from './entities/UsageRecord';
import { UsageTag } from './entities/UsageTag';
import { Dispute } from './entities/Dispute';
import { Payout } from './entities/Payout';
import { DisputeService } from './services/disputes';
import { PayoutService, SandboxPayoutProvider } from './services/payouts';
import { createBillingLoaders } from './loaders';
import { BillingService } from './services/billing';
import { CreditService } from './services/credits';
import { settleEarnings } from './services/settlement';
import { UsageService } from './services/usage';
import { ReceiptService } from './services/receipts';
import { SpendLogService } from './services/spend-log';
import { ProviderLoginService } from './services/provider-login';
import { oauthProviders } from './oauth-providers';
import { SecretSealer } from '../common/sealing';
import { billingSettings } from './settings';
import { buildBillingSchema } from './schema';
import type { BillingContext } from './context';

export const billingEntities = [
  AccountBalance,
  LedgerEntry,
  UsageRecord,
  UsageTag,
  KeyUsage,
  KeyUsageDaily,
  GroupUsageMonthly,
  ProviderLoginSession,
  Dispute,
  Payout,
];

export async function createBillingSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<BillingContext>> {
  const db = await openDatabase('billing', billingEntities, deps.config);
  const settings = billingSettings(deps.config.env);
  const serviceDeps = { ids: deps.ids, clock: deps.clock, settings, bus: deps.bus };
  const loginDeps = {
    clock: deps.clock,
    sealer: new SecretSealer(deps.config.platformSecret),
    providers: oauthProviders(deps.config.env),
    fetch: globalThis.fetch,
    redirectAllowlist: settings.oauthRedirectAllowlist,
  };
  const fork = () => db.orm.em.fork() as EntityManager;
  const disputeDeps = {
    ...serviceDeps,
    log: deps.log,
    tolerance: { toleranceBps: deps.config.dataPlane.meteringToleranceBps, slackTokens: deps.config.dataPlane.meteringSlackTokens },
  };
  // The sandbox answers as a real provider's webhook would: through completePayout, as the platform.
  const payoutProvider =
    settings.payoutProvider !== 'sandbox'
      ? null
      : new SandboxPayoutProvider(
          settings.sandboxPayoutOutcome,
          async (id, providerReference, outcome) => {
            const result = await graphql({
              schema: definition.schema,
              source:
                'mutation ($id: ID!, $providerReference: String!, $outcome: PayoutOutcome!) { completePayout(id: $id, providerReference: $providerReference, outcome: $outcome) { id } }',
              variableValues: { id, providerReference, outcome: outcome.toUpperCase() },
              contextValue: definition.createContext({ kind: 'service', name: 'payout-sandbox' }, `payout:${id}`),
            });
            if (result.errors?.length) throw result.errors[0];
          },
          deps.log,
        );
  const payoutDeps = { ...serviceDeps, log: deps.log, provider: payoutProvider };
  // One job round: disputes whose response window ended by `at`, then earnings, then payouts the provider never took.
  const settle = async (at: Date) => {
    await new DisputeService(fork(), disputeDeps).expire(at);
    const result = await settleEarnings(fork(), deps.ids, deps.clock, at);
    await new PayoutService(fork(), payoutDeps).resendUnsent();
    return result;
  };
  const receipts = new ReceiptService(deps.config.platformSecret, deps.config.receiptKeyVersion);
  let unsubscribe = () => {};
  let timer: NodeJS.Timeout | null = null;
  const definition: SubgraphDefinition<BillingContext> = {
    name: 'billing',
    schema: buildBillingSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = fork();
      const loaders = createBillingLoaders(em, deps.clock);
      return {
        principal,
        requestId,
        loaders,
        settle,
        receipts,
        billing: new BillingService(em, loaders, deps.clock),
        spendLog: new SpendLogService(em, receipts),
        usage: new UsageService(em, serviceDeps),
        credits: new CreditService(em, serviceDeps),
        providerLogin: new ProviderLoginService(em, loginDeps),
        disputes: new DisputeService(em, disputeDeps),
        payouts: new PayoutService(em, payoutDeps),
      };
    },
    start: () => {
      unsubscribe = deps.bus.subscribe('account.created', (event) => {
        new CreditService(fork(), serviceDeps).grantTrial(event.accountId).catch((error: unknown) => {
          deps.log.error({ subgraph: 'billing', accountId: event.accountId, err: error }, 'trial credit failed');
        });
      });
      if (settings.settlementIntervalMs > 0) {
        // A failed round is retried at the next interval; it moves nothing half-way (one transaction).
        timer = setInterval(
          () =>
            void settle(deps.clock.now()).catch((error: unknown) =>
              deps.log.warn({ subgraph: 'billing', err: error }, 'earnings settlement failed'),
            ),
          settings.settlementIntervalMs,
        );
        timer.unref();
      }
    },
    stop: () => {
      unsubscribe();
      if (timer) clearInterval(timer);
    },
  };
  return definition;
}
