// The route stage: the model's routing table for the key's profile, then its fallbacks (when the
// profile allows them), narrowed to what this request needs and asks for and ordered
// (provider-routing.ts) into the candidates the attempts will try in order.
import { badRequest, modelNotFound, unavailable } from './openai-errors';
import { selectSupply, type SelectionDeps } from './provider-routing';
import type { InferenceRequest } from './request';
import type { RoutingCache, RoutingTable } from './routing';

export async function route(request: InferenceRequest, routing: RoutingCache, selection: SelectionDeps = {}): Promise<void> {
  const profileId = request.snapshot.routingProfileId;
  let table: RoutingTable | null;
  try {
    table = await routing.get(request.model, profileId);
  } catch {
    throw unavailable('Routing is unavailable; try again shortly');
  }
  if (!table || !table.capability) throw modelNotFound(request.model);
  const serves = table.capability.toLowerCase();
  if (serves !== request.capability)
    throw badRequest(`\`${request.model}\` serves ${serves}, not ${request.capability}`, 'model', 'model_capability_mismatch');
  const tables = [table];
  if (table.allowFallbacks && request.providerPreferences?.allowFallbacks !== false) {
    for (const fallback of table.fallbackModels) {
      const next = await routing.get(fallback, profileId).catch(() => null);
      if (next && next.capability === table.capability) tables.push(next);
    }
  }
  request.tables = tables;
  request.candidates = selectSupply(request, tables, selection);
  if (request.candidates.length === 0) throw unavailable(`\`${request.model}\` has no available supply right now`);
}
