import type { ConsoleSection } from '../sections';
import { BillingSection } from './billing';
import { DisputesSection } from './disputes';
import { KeysSection } from './keys';
import { ManagementKeysSection } from './management-keys';
import { RoutingSection } from './routing';
import { SpendLogSection } from './spend-log';
import { UsageSection } from './usage';

/** The buyer's sections, in navigation order. */
export const BUYER_SECTIONS: ConsoleSection[] = [
  { path: 'keys', title: 'API keys', group: 'Buy', component: KeysSection },
  { path: 'usage', title: 'Usage', group: 'Buy', component: UsageSection },
  { path: 'spend-log', title: 'Spend log', group: 'Buy', component: SpendLogSection },
  { path: 'disputes', title: 'Disputes', group: 'Buy', component: DisputesSection },
  { path: 'routing', title: 'Routing profiles', group: 'Buy', component: RoutingSection },
  { path: 'billing', title: 'Balance and billing', group: 'Account', component: BillingSection },
  { path: 'management-keys', title: 'Management keys', group: 'Account', component: ManagementKeysSection },
];
