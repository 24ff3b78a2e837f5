import type { ConsoleSection } from '../sections';
import { SellerDisputesSection } from './disputes';
import { EarningsSection } from './earnings';
import { ListingsSection } from './listings';
import { PayoutsSection } from './payouts';
import { PoolKeysSection } from './pool-keys';

/** The seller's sections, in navigation order. */
export const SELLER_SECTIONS: ConsoleSection[] = [
  { path: 'pool-keys', title: 'Pool keys', group: 'Sell', component: PoolKeysSection },
  { path: 'listings', title: 'Listings', group: 'Sell', component: ListingsSection },
  { path: 'earnings', title: 'Earnings', group: 'Sell', component: EarningsSection },
  { path: 'payouts', title: 'Payouts', group: 'Sell', component: PayoutsSection },
  { path: 'seller-disputes', title: 'Buyer disputes', group: 'Sell', component: SellerDisputesSection },
];
