import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Account, SIGNED_IN } from '../entities/Account';
import { ApiKey } from '../entities/ApiKey';
import { accountOf } from '../../common/principal';
import { canAccess } from '../../common/actions';
import type { AccountsContext } from '../context';
import { defaultDisplayName } from '../services/accounts';

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { description: "The caller's own account." })
  me(@Ctx() ctx: AccountsContext): Promise<Account> {
    return ctx.accounts.me(ctx.principal);
  }

  @FieldResolver(() => String, { description: 'The public display name.' })
  name(@Root() account: Account, @Ctx() ctx: AccountsContext): string {
    // Accounts made before names stopped defaulting to the email's local part show that to their
    // owner only; everyone else sees the id-based default.
    const owner = account[SIGNED_IN] || accountOf(ctx.principal) === account.id;
    return !owner && account.email && account.name === account.email.split('@')[0] ? defaultDisplayName(account.id) : account.name;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Visible to the account itself only.' })
  email(@Root() account: Account, @Ctx() ctx: AccountsContext): string | null {
    return account[SIGNED_IN] || accountOf(ctx.principal) === account.id ? account.email : null;
  }

  @FieldResolver(() => [ApiKey], {
    description: "The account's buyer keys (its owner with a buyer-side credential only; empty for anyone else).",
  })
  async apiKeys(@Root() account: Account, @Ctx() ctx: AccountsContext): Promise<ApiKey[]> {
    // A seller-scope management key of the same account reads no buyer keys, as at the root.
    if (!canAccess(ctx.principal, 'keys:read', account.id)) return [];
    return ctx.loaders.apiKeysByAccount.load(account.id);
  }
}
