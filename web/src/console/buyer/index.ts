import type { ConsoleSection } from '../sections';

/** The buyer's sections, in navigation order. */
export const BUYER_SECTIONS: ConsoleSection[] = [];
