import { buildFederatedSchema } from '../common/federation';
import { AuthResolver } from './resolvers/AuthResolver';
import { AccountResolver } from './resolvers/AccountResolver';
import { ApiKeyResolver } from './resolvers/ApiKeyResolver';
import { KeyGroupResolver } from './resolvers/KeyGroupResolver';
import { ManagementKeyResolver } from './resolvers/ManagementKeyResolver';
import { ProjectResolver } from './resolvers/ProjectResolver';
import { accountsReferences } from './references';

export const buildAccountsSchema = () =>
  buildFederatedSchema(
    { resolvers: [AuthResolver, AccountResolver, ApiKeyResolver, KeyGroupResolver, ManagementKeyResolver, ProjectResolver] },
    accountsReferences,
  );
