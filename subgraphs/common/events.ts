// The events that cross subgraph boundaries. Each topic has one owner that publishes it.

/** accounts → billing: a new account (billing grants the trial credit). */
export interface AccountCreatedEvent {
  accountId: string;
  createdAt: string;
}

/**
 * billing → gateway data plane: an account's balance changed other than by usage (top-up, credit,
 * refund). `deltaMicros` is the change; `postingId` names it, so a budget counter shared by several
 * replicas applies each change once. Counters add the delta instead of starting again, so
 * reservations held by requests in flight survive a top-up.
 */
export interface BalanceChangedEvent {
  accountId: string;
  deltaMicros: number;
  postingId: string;
}

/** accounts → gateway data plane: drop the cached key snapshot at once. */
export interface KeyChangedEvent {
  kind: 'api-key' | 'management-key';
  keyId: string;
  accountId: string;
  change: 'created' | 'updated' | 'disabled' | 'enabled' | 'revoked' | 'deleted';
}

/**
 * accounts → gateway: an account's dashboard sessions changed (one signed out, all signed out, or
 * the account is gone). Gateways drop their cached session state of the account at once.
 */
export interface AccountSessionsRevokedEvent {
  accountId: string;
  change: 'logout' | 'logout-all' | 'deleted';
}

/** gateway data plane → network (and billing through usage batches): one finished request. */
export interface JobFinishedEvent {
  id: string;
  pipeline: string;
  model: string;
  /** cancelled: the buyer went away; billed for what was delivered, never the seller's failure. */
  status: 'completed' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string;
  latencyMs: number;
  timeToFirstTokenMs?: number | null;
  outputUnits?: number | null;
  listingId?: string | null;
  sellerId?: string | null;
  gateway?: string | null;
  /** What the buyer paid (micro-USD): the network's fee and pricing figures. */
  costMicros?: number | null;
  /** Listings this request was sent to first that failed it (it moved on, or failed): the orchestrators' noSwapRatio. */
  swappedFrom?: string[] | null;
  /** Why a failed or cancelled job did not complete (the data plane's failure class, e.g. `caller`, `transient`): reputation counts only the listing's own. */
  failure?: string | null;
}

/** network → its own subscribers on every replica: a job is stored and can be read by id. */
export interface JobRecordedEvent {
  id: string;
  pipeline: string;
  model: string;
}

/** market → data plane: drop cached routing for this model. */
export interface ListingChangedEvent {
  listingId: string;
  sellerId: string;
  model: string;
  change: 'created' | 'updated' | 'deleted' | 'price-confirmed';
}

/**
 * market → accounts (which profile ids a key may name) and the data plane (drop the profile's cached
 * routing tables): a routing profile was created, edited or deleted.
 */
export interface RoutingProfileChangedEvent {
  profileId: string;
  accountId: string;
  change: 'created' | 'updated' | 'deleted';
}

/** market → data plane: a contract changed state (routable or not). */
export interface ContractChangedEvent {
  contractId: string;
  listingId: string;
  model: string;
  state: 'pending' | 'active' | 'degraded' | 'suspended';
}

export interface BusTopics {
  'account.created': AccountCreatedEvent;
  'key.changed': KeyChangedEvent;
  'account.sessions-revoked': AccountSessionsRevokedEvent;
  'balance.changed': BalanceChangedEvent;
  'listing.changed': ListingChangedEvent;
  'contract.changed': ContractChangedEvent;
  'routing-profile.changed': RoutingProfileChangedEvent;
  'job.finished': JobFinishedEvent;
  'job.recorded': JobRecordedEvent;
}
export type Topic = keyof BusTopics;

/**
 * gateway data plane → billing (batched, retried, applied exactly once): one finished request.
 * The request id is the idempotency key. Money in integer micro-USD.
 */
export interface UsageEvent {
  requestId: string;
  keyId: string;
  buyerId: string;
  groupId?: string | null;
  listingId?: string | null;
  sellerId?: string | null;
  model: string;
  capability: 'chat' | 'embeddings' | 'speech';
  inputTokens: number;
  outputTokens: number;
  characters: number;
  /** What the buyer pays for this request (0 for a failed one). */
  costMicros: number;
  latencyMs: number;
  ttftMs?: number | null;
  /** cancelled: the buyer went away; billed for what was delivered before it did. */
  status: 'completed' | 'failed' | 'cancelled';
  occurredAt: string;
  /** Metering evidence: what the upstream reported (null: nothing) and what the gateway counted. */
  reportedInputTokens?: number | null;
  reportedOutputTokens?: number | null;
  countedInputTokens?: number | null;
  countedOutputTokens?: number | null;
  cachedInputTokens?: number | null;
  reasoningTokens?: number | null;
  /** The model the upstream said it served (null: not seen). */
  servedModel?: string | null;
  /** Metering findings, e.g. usage_missing, completion_over_count (comma-separated; null: none). */
  meteringFlags?: string | null;
  /** The buyer's end user (OpenAI's `user`; null: none). Attribution only: it never moves money. */
  endUser?: string | null;
  /** The request's tags, distinct (null: none). */
  tags?: string[] | null;
  /** OpenAI's `metadata` as key/value pairs (null: none). */
  metadata?: { key: string; value: string }[] | null;
}
