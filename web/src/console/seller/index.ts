import type { ConsoleSection } from '../sections';

/** The seller's sections, in navigation order. */
export const SELLER_SECTIONS: ConsoleSection[] = [];
