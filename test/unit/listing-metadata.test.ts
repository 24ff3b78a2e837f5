// Listing metadata, pure: the effective view a canonical model fills in (the one routing, the pages
// and verification read), the input rules as a whole (nothing applied unless all hold), and the
// staleness of a verification made for other claims.
import { describe, expect, it } from 'vitest';
import { Capability, Listing } from '../../subgraphs/market/entities/Listing';
import { ListingVerification, VerificationStatus } from '../../subgraphs/market/entities/ListingVerification';
import { applyMetadata, effectiveMetadata, type MetadataInput } from '../../subgraphs/market/services/listing-metadata';
import { shippedRegistry } from '../../subgraphs/market/services/registry';
import { claimsKeyOf, claimsOf, currentVerification } from '../../subgraphs/market/services/verification';
import { isDomainError } from '../../subgraphs/common/errors';

const registry = shippedRegistry();
const SIM_CHAT_PARAMETERS = ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop'];

function listing(over: Partial<Listing> = {}): Listing {
  return Object.assign(new Listing(), { id: 'l1', model: 'acme/chat', capability: Capability.CHAT, ...over });
}

function refusal(work: () => void): { field: unknown; message: string } {
  try {
    work();
  } catch (error) {
    if (isDomainError(error) && error.code === 'BAD_USER_INPUT') return { field: error.details?.field, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('effectiveMetadata', () => {
  it('is what the listing declares, nothing declared being unknown, no parameters and a data policy of all false', () => {
    expect(effectiveMetadata(listing(), registry)).toEqual({
      contextLength: null,
      maxOutputTokens: null,
      supportedParameters: [],
      quantization: null,
      region: null,
      dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: false },
    });
    const declared = listing({
      contextLength: 4096,
      maxOutputTokens: 512,
      supportedParameters: ['seed', 'tools'],
      quantization: 'fp8',
      region: 'eu',
      dataZeroRetention: true,
    });
    expect(effectiveMetadata(declared, registry)).toEqual({
      contextLength: 4096,
      maxOutputTokens: 512,
      supportedParameters: ['tools', 'seed'],
      quantization: 'fp8',
      region: 'eu',
      dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true },
    });
  });

  it("fills in a canonical model's context and output cap, and unites its parameters with the declared ones", () => {
    expect(effectiveMetadata(listing({ model: 'dragonfly/sim-chat' }), registry)).toMatchObject({
      contextLength: 16_384,
      maxOutputTokens: 4096,
      supportedParameters: SIM_CHAT_PARAMETERS,
    });
    expect(
      effectiveMetadata(listing({ model: 'dragonfly/sim-chat', contextLength: 8000, supportedParameters: ['seed', 'tools'] }), registry),
    ).toMatchObject({ contextLength: 8000, maxOutputTokens: 4096, supportedParameters: [...SIM_CHAT_PARAMETERS, 'seed'] });
  });

  it('gives non-chat listings no parameters (an embeddings model keeps its context length)', () => {
    expect(
      effectiveMetadata(
        listing({ model: 'dragonfly/sim-embed', capability: Capability.EMBEDDINGS, supportedParameters: ['tools'] }),
        registry,
      ),
    ).toMatchObject({ contextLength: 8192, maxOutputTokens: null, supportedParameters: [] });
    expect(effectiveMetadata(listing({ model: 'dragonfly/sim-tts', capability: Capability.SPEECH }), registry)).toMatchObject({
      contextLength: null,
      supportedParameters: [],
    });
  });

  it('is what verification claims (the context only for chat)', () => {
    const chat = listing({ model: 'dragonfly/sim-chat', contextLength: 8000, supportedParameters: ['seed'] });
    expect(claimsOf(chat, registry)).toMatchObject({
      contextLength: 8000,
      supportedParameters: effectiveMetadata(chat, registry).supportedParameters,
    });
    expect(claimsOf(listing({ model: 'dragonfly/sim-embed', capability: Capability.EMBEDDINGS }), registry).contextLength).toBeNull();
  });
});

describe('applyMetadata', () => {
  it('sets given fields, keeps absent ones, clears with null; dataPolicy flag by flag, null resets all', () => {
    const l = listing({ contextLength: 4096, region: 'us', dataRetainsPrompts: true });
    applyMetadata(
      l,
      { quantization: 'int4', supportedParameters: ['stop', 'tools', 'stop'], dataPolicy: { trainsOnPrompts: true } },
      registry,
    );
    expect(l).toMatchObject({
      contextLength: 4096,
      region: 'us',
      quantization: 'int4',
      supportedParameters: ['tools', 'stop'],
      dataRetainsPrompts: true,
      dataTrainsOnPrompts: true,
      dataZeroRetention: false,
    });
    applyMetadata(l, { contextLength: null, region: null, supportedParameters: null, dataPolicy: null }, registry);
    expect(l).toMatchObject({
      contextLength: null,
      region: null,
      supportedParameters: null,
      quantization: 'int4',
      dataRetainsPrompts: false,
      dataTrainsOnPrompts: false,
      dataZeroRetention: false,
    });
    applyMetadata(l, { dataPolicy: { zeroRetention: true, retainsPrompts: null } }, registry);
    expect(l).toMatchObject({ dataRetainsPrompts: false, dataZeroRetention: true });
  });

  it.each<[string, Partial<Listing>, MetadataInput, string]>([
    ['a context length of 0', {}, { contextLength: 0 }, 'contextLength'],
    ['a fractional context length', {}, { contextLength: 1.5 }, 'contextLength'],
    ['an output cap above the stored context', { contextLength: 100 }, { maxOutputTokens: 101 }, 'maxOutputTokens'],
    [
      'an output cap above the canonical context',
      { model: 'dragonfly/sim-chat' },
      { contextLength: 1000, maxOutputTokens: 1001 },
      'maxOutputTokens',
    ],
    ['a context above the canonical one', { model: 'dragonfly/sim-chat' }, { contextLength: 16_385 }, 'contextLength'],
    ['an output cap above the canonical one', { model: 'dragonfly/sim-chat' }, { maxOutputTokens: 4097 }, 'maxOutputTokens'],
    ['an unknown parameter', {}, { supportedParameters: ['tools', 'mind_reading'] }, 'supportedParameters'],
    ['an unknown quantization', {}, { quantization: 'q4_k_m' }, 'quantization'],
    ['a region with a space', {}, { region: 'eu west' }, 'region'],
    [
      'zero retention over a stored retainsPrompts',
      { dataRetainsPrompts: true },
      { dataPolicy: { zeroRetention: true } },
      'dataPolicy.zeroRetention',
    ],
    [
      'trainsOnPrompts over a stored zero retention',
      { dataZeroRetention: true },
      { dataPolicy: { trainsOnPrompts: true } },
      'dataPolicy.zeroRetention',
    ],
    ['parameters on speech', { capability: Capability.SPEECH }, { supportedParameters: ['seed'] }, 'supportedParameters'],
  ])('refuses %s naming the field, and changes nothing', (_name, stored, input, field) => {
    const l = listing(stored);
    const before = { ...l };
    expect(refusal(() => applyMetadata(l, { region: 'changed', ...input }, registry)).field).toBe(field);
    expect({ ...l }).toEqual(before);
  });

  it('takes a canonical listing at exactly its limits, and empty parameters on a non-chat listing', () => {
    const canonical = listing({ model: 'dragonfly/sim-chat' });
    applyMetadata(canonical, { contextLength: 16_384, maxOutputTokens: 4096 }, registry);
    expect(canonical).toMatchObject({ contextLength: 16_384, maxOutputTokens: 4096 });
    const embed = listing({ capability: Capability.EMBEDDINGS });
    applyMetadata(embed, { supportedParameters: [], contextLength: 8192 }, registry);
    expect(embed).toMatchObject({ supportedParameters: [], contextLength: 8192 });
  });
});

describe('currentVerification', () => {
  const canonical = listing({ model: 'dragonfly/sim-chat' });
  const stored = (claimsKey: string | null) =>
    Object.assign(new ListingVerification(), {
      listingId: 'l1',
      status: VerificationStatus.PASSED,
      checkedAt: new Date(0),
      canonicalModel: 'dragonfly/sim-chat',
      checks: [{ name: 'tools', passed: true, detail: null }],
      claimsKey,
    });

  it('is the stored verification while it is of the current claims (or was stored before claims were keyed)', () => {
    const key = claimsKeyOf(claimsOf(canonical, registry));
    expect(currentVerification(stored(key), canonical, registry).status).toBe(VerificationStatus.PASSED);
    expect(currentVerification(stored(null), canonical, registry).status).toBe(VerificationStatus.PASSED);
  });

  it('is PENDING, without the old checks, once the context length or the parameters changed; NOT_REQUIRED when nothing is claimed', () => {
    const key = claimsKeyOf(claimsOf(canonical, registry));
    for (const changed of [
      listing({ model: 'dragonfly/sim-chat', contextLength: 8000 }),
      listing({ model: 'dragonfly/sim-chat', supportedParameters: ['seed'] }),
    ]) {
      expect(currentVerification(stored(key), changed, registry)).toMatchObject({
        status: VerificationStatus.PENDING,
        checks: [],
        checkedAt: null,
        canonicalModel: 'dragonfly/sim-chat',
      });
    }
    const own = listing({ supportedParameters: ['tools'] });
    const ownKey = claimsKeyOf(claimsOf(own, registry));
    expect(currentVerification(stored(ownKey), listing(), registry)).toMatchObject({
      status: VerificationStatus.NOT_REQUIRED,
      canonicalModel: null,
    });
    // Changes that claim nothing (region, quantization, data policy) keep it.
    expect(
      currentVerification(
        stored(key),
        listing({ model: 'dragonfly/sim-chat', region: 'eu', quantization: 'fp8', dataZeroRetention: true }),
        registry,
      ).status,
    ).toBe(VerificationStatus.PASSED);
  });

  it('is PENDING before any verification ran when there is something to check', () => {
    expect(currentVerification(null, canonical, registry).status).toBe(VerificationStatus.PENDING);
    expect(currentVerification(null, listing(), registry).status).toBe(VerificationStatus.NOT_REQUIRED);
  });
});
