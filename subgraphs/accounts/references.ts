// Federation entry points: other subgraphs hand us `{__typename, id}` and we resolve the entity,
// batched per request. Keys, groups and projects are private to their account; an account's
// public fields (id, name) are not.
import { accountOf, type Principal } from '../common/principal';
import type { ReferenceResolvers } from '../common/federation';
import type { AccountsContext } from './context';

const visibleTo = <T extends { accountId: string }>(principal: Principal, row: T | null): T | null =>
  row && (principal.kind === 'service' || row.accountId === accountOf(principal)) ? row : null;

export const accountsReferences: ReferenceResolvers = {
  Account: {
    __resolveReference: (reference: { id: string }, ctx: AccountsContext) => ctx.loaders.accountById.load(reference.id),
  },
  ApiKey: {
    __resolveReference: async (reference: { id: string }, ctx: AccountsContext) =>
      visibleTo(ctx.principal, await ctx.loaders.apiKeyById.load(reference.id)),
  },
  KeyGroup: {
    __resolveReference: async (reference: { id: string }, ctx: AccountsContext) =>
      visibleTo(ctx.principal, await ctx.loaders.groupById.load(reference.id)),
  },
  Project: {
    __resolveReference: async (reference: { id: string }, ctx: AccountsContext) =>
      visibleTo(ctx.principal, await ctx.loaders.projectById.load(reference.id)),
  },
};
