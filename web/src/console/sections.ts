// A console section: one path under /dashboard, one component. The buyer's and the seller's
// sections live in their own folders and are listed here in the navigation's order.
import type { ComponentType } from 'react';

export interface ConsoleSection {
  /** The path segment under /dashboard (`keys` serves /dashboard/keys). */
  path: string;
  title: string;
  group: 'Buy' | 'Sell' | 'Account';
  component: ComponentType;
}
