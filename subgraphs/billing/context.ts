import type { BaseContext } from '../common/subgraph';
import type { BillingService } from './services/billing';
import type { UsageService } from './services/usage';
import type { CreditService } from './services/credits';
import type { ProviderLoginService } from './services/provider-login';
import type { SettlementResult } from './services/settlement';
import type { BillingLoaders } from './loaders';
import type { DisputeService } from './services/disputes';
import type { PayoutService } from './services/payouts';
import type { ReceiptService } from './services/receipts';
import type { SpendLogService } from './services/spend-log';

export interface BillingContext extends BaseContext {
  billing: BillingService;
  usage: UsageService;
  credits: CreditService;
  providerLogin: ProviderLoginService;
  settle(at: Date): Promise<SettlementResult>;
  loaders: BillingLoaders;
  disputes: DisputeService;
  payouts: PayoutService;
  receipts: ReceiptService;
  spendLog: SpendLogService;
}
