import type { Principal } from '../subgraphs/common/principal';

/** What the gateway knows of each request: who asks (already verified) and the request id. */
export interface GatewayContext {
  principal: Principal;
  requestId: string;
  /** The client's address, where known (caps for anonymous subscribers). */
  clientAddress?: string;
  /** graphql-ws connections: hold this connection's writes until the end of the event-loop turn. */
  holdWrites?: () => void;
}
