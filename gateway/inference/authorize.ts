// The authorize stage: a buyer key (never a management key) turned into its cached snapshot, and
// the key's own rules applied: status, expiry, IP allow/deny, allowed models.
import type { KeyHasher } from '../../subgraphs/common/secrets';
import type { Clock } from '../../subgraphs/common/runtime';
import type { KeySnapshot, KeySnapshotCache } from './key-snapshots';
import { forbidden, unauthorized, unavailable } from './openai-errors';

export interface AuthorizeDeps {
  snapshots: KeySnapshotCache;
  keyHasher: KeyHasher;
  clock: Clock;
}

/** The credential of an `Authorization: Bearer …` header (the scheme is case-insensitive, RFC 9110). */
export function bearerToken(authorization: string | undefined): string | null {
  return authorization ? (/^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null) : null;
}

export async function authorize(authorization: string | undefined, clientAddress: string, deps: AuthorizeDeps): Promise<KeySnapshot> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('You did not provide an API key. Use "Authorization: Bearer sk-df-…"');
  if (token.startsWith('mk-'))
    throw forbidden('A management key cannot call models; use a buyer key (sk-df-…)', 'management_key_not_allowed');
  if (!token.startsWith('sk-df-') || token.length > 100) throw unauthorized('Incorrect API key provided');
  let snapshot: KeySnapshot | null;
  try {
    snapshot = await deps.snapshots.get(deps.keyHasher.hash(token));
  } catch {
    throw unavailable('Key verification is unavailable; try again shortly');
  }
  if (!snapshot || snapshot.status === 'revoked') throw unauthorized('Incorrect API key provided');
  if (snapshot.status === 'disabled') throw unauthorized('This API key is disabled');
  if (snapshot.expiredAt !== null && snapshot.expiredAt <= deps.clock.now().getTime()) throw unauthorized('This API key has expired');
  if (snapshot.denyIp?.(clientAddress)) throw forbidden(`Requests from ${clientAddress} are not allowed for this key`, 'ip_not_allowed');
  if (snapshot.allowIp && !snapshot.allowIp(clientAddress))
    throw forbidden(`Requests from ${clientAddress} are not allowed for this key`, 'ip_not_allowed');
  return snapshot;
}

/** Checked once the body names the model. */
export function authorizeModel(snapshot: KeySnapshot, model: string): void {
  if (snapshot.allowedModels && !snapshot.allowedModels.has(model))
    throw forbidden(`This key may not call \`${model}\``, 'model_not_allowed');
}
