// Federation entry points: other subgraphs hand us `{__typename, id}` and we resolve the entity,
// batched per request. A key is private to its account; an account's public fields are not.
import { accountOf } from '../common/principal';
import type { ReferenceResolvers } from '../common/federation';
import type { AccountsContext } from './context';

export const accountsReferences: ReferenceResolvers = {
  Account: {
    __resolveReference: (reference: { id: string }, ctx: AccountsContext) => ctx.loaders.accountById.load(reference.id),
  },
  ApiKey: {
    __resolveReference: async (reference: { id: string }, ctx: AccountsContext) => {
      const key = await ctx.loaders.apiKeyById.load(reference.id);
      const owner = accountOf(ctx.principal);
      return key && (ctx.principal.kind === 'service' || key.accountId === owner) ? key : null;
    },
  },
};
