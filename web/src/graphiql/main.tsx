// The GraphQL IDE at GET /graphql in development: GraphiQL from npm, served from this origin, with
// subscriptions over graphql-ws on the same path. A console session, when there is one, is sent as
// the bearer credential unless the Headers tab sets another.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import { sessionToken } from '../shared/graphql';

const token = sessionToken();
const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  headers: token ? { authorization: `Bearer ${token}` } : {},
  wsClient: createClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: true,
  }),
});

const DEFAULT_QUERY = `# The network right now. Subscriptions run over graphql-ws on this same path, for example:
#   subscription LiveJobFeed { jobFeed { id pipeline model status latencyMs } }
query NetworkNow {
  kpi(timeframe: "24") {
    successRate { value delta }
    orchestratorsOnline { value delta }
  }
}
`;

createRoot(document.getElementById('root')!).render(<GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />);
