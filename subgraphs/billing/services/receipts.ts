// Signed per-request receipts: what billing recorded for one request, as a compact JWS (EdDSA)
// anyone can check against the public keys at /.well-known/jwks.json. A record is immutable once
// applied and Ed25519 is deterministic, so a receipt is signed when read (nothing is stored) and
// the same record under the same key version always gives the same receipt.
import { RECEIPT_ISSUER, ReceiptKeyring } from '../../common/receipt-keys';
import type { UsageRecord } from '../entities/UsageRecord';

/** The claims of one receipt. Token fields are null where the record has none (e.g. no usage reported). */
export interface ReceiptClaims {
  iss: string;
  /** The request's occurredAt (seconds), not the time of reading: keeps the receipt stable. */
  iat: number;
  /** The request id (x-request-id). */
  jti: string;
  request_id: string;
  key_id: string;
  buyer_id: string;
  listing_id: string | null;
  seller_id: string | null;
  /** The model the buyer asked for (the listing's public name). */
  model: string;
  /** The model the upstream said it served. */
  served_model: string | null;
  capability: string;
  /** completed, failed or cancelled. */
  status: string;
  /** ISO 8601, milliseconds. */
  occurred_at: string;
  reported_input_tokens: number | null;
  reported_output_tokens: number | null;
  counted_input_tokens: number | null;
  counted_output_tokens: number | null;
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
  metering_flags: string[];
  /** Billed: */
  input_tokens: number;
  output_tokens: number;
  characters: number;
  /** The request's price (integer micro-USD) = charged_micros + uncollected_micros. */
  cost_micros: number;
  /** What the buyer's balance paid. */
  charged_micros: number;
  /** The part of the price the balance could not cover. */
  uncollected_micros: number;
  /** The seller's share of the charge, and the platform's fee. */
  seller_micros: number;
  fee_micros: number;
}

export function receiptClaims(record: UsageRecord): ReceiptClaims {
  const charged = Number(record.costMicros);
  const uncollected = Number(record.uncollectedMicros ?? 0);
  return {
    iss: RECEIPT_ISSUER,
    iat: Math.floor(record.occurredAt.getTime() / 1000),
    jti: record.requestId,
    request_id: record.requestId,
    key_id: record.keyId,
    buyer_id: record.buyerId,
    listing_id: record.listingId ?? null,
    seller_id: record.sellerId ?? null,
    model: record.model,
    served_model: record.servedModel ?? null,
    capability: record.capability,
    status: record.status,
    occurred_at: record.occurredAt.toISOString(),
    reported_input_tokens: record.reportedInputTokens ?? null,
    reported_output_tokens: record.reportedOutputTokens ?? null,
    counted_input_tokens: record.countedInputTokens ?? null,
    counted_output_tokens: record.countedOutputTokens ?? null,
    cached_input_tokens: record.cachedInputTokens ?? null,
    reasoning_tokens: record.reasoningTokens ?? null,
    metering_flags: record.meteringFlags ? record.meteringFlags.split(',') : [],
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    characters: record.characters,
    cost_micros: charged + uncollected,
    charged_micros: charged,
    uncollected_micros: uncollected,
    seller_micros: Number(record.sellerMicros),
    fee_micros: Number(record.feeMicros),
  };
}

/** One per process: the keyring is derived at start, so a receipt costs one signature. */
export class ReceiptService {
  private readonly keyring: ReceiptKeyring;

  constructor(platformSecret: string, keyVersion: number) {
    this.keyring = new ReceiptKeyring(platformSecret, keyVersion);
  }

  get kid(): string {
    return this.keyring.current.kid;
  }

  sign(record: UsageRecord): string {
    return this.keyring.sign(receiptClaims(record));
  }
}
