import { buildFederatedSchema } from '../common/federation';
import { AuthResolver } from './resolvers/AuthResolver';
import { AccountResolver } from './resolvers/AccountResolver';
import { ApiKeyResolver } from './resolvers/ApiKeyResolver';
import { accountsReferences } from './references';

export const buildAccountsSchema = () =>
  buildFederatedSchema({ resolvers: [AuthResolver, AccountResolver, ApiKeyResolver] }, accountsReferences);
