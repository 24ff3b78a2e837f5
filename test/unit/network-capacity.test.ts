// The network overview's GPU rules (market's declared hardware; network's busy listings) and the
// reserve shown as totalStakedLPT: pure functions, exact figures.
import { describe, expect, it } from 'vitest';
import { Capability } from '../../subgraphs/market/entities/Listing';
import { busyCapacity, declaredCapacity, declaredGpus, type DeclaredSupply } from '../../subgraphs/market/services/capacity';
import { microsToUsdNumber } from '../../subgraphs/common/money';

const listing = (id: string, model: string, capability: Capability, gpuModel: string | null, gpuCount: number | null): DeclaredSupply => ({
  id,
  model,
  capability,
  gpuModel,
  gpuCount,
});

const supply = [
  listing('h1', 'acme/chat', Capability.CHAT, 'H100', 8),
  listing('a1', 'acme/embed', Capability.EMBEDDINGS, 'A100', 4),
  listing('h2', 'acme/chat-large', Capability.CHAT, 'H100', 2),
  listing('n1', 'acme/chat', Capability.CHAT, null, null), // nothing declared: 0 GPUs
  listing('m1', 'acme/tts', Capability.SPEECH, 'L4', null), // a model without a count: 0 GPUs
  listing('u1', 'acme/tts', Capability.SPEECH, null, 1), // a count without a model
];

describe('declared GPUs', () => {
  it('a listing has its declared count, or 0', () => {
    expect(declaredGpus({ gpuCount: 8 })).toBe(8);
    expect(declaredGpus({ gpuCount: null })).toBe(0);
    expect(declaredGpus({})).toBe(0);
  });

  it('totals per GPU model and per pipeline and public model, most first, zeros left out', () => {
    expect(declaredCapacity(supply)).toEqual({
      totalGPUs: 15,
      models: [
        { model: 'H100', count: 10 },
        { model: 'A100', count: 4 },
        { model: 'unspecified', count: 1 },
      ],
      pipelineGPUs: [
        {
          name: 'llm',
          gpus: 10,
          models: [
            { model: 'acme/chat', gpus: 8 },
            { model: 'acme/chat-large', gpus: 2 },
          ],
        },
        { name: 'embeddings', gpus: 4, models: [{ model: 'acme/embed', gpus: 4 }] },
        { name: 'text-to-speech', gpus: 1, models: [{ model: 'acme/tts', gpus: 1 }] },
      ],
    });
    expect(declaredCapacity([])).toEqual({ totalGPUs: 0, models: [], pipelineGPUs: [] });
  });

  it('busy: the declared GPUs of admitted listings that served; the share not busy to 1 decimal', () => {
    expect(busyCapacity(supply, ['h1'])).toEqual({ activeGPUs: 8, availableCapacity: 46.7 }); // 7/15
    expect(busyCapacity(supply, ['h1', 'a1', 'h2', 'u1'])).toEqual({ activeGPUs: 15, availableCapacity: 0 });
    expect(busyCapacity(supply, [])).toEqual({ activeGPUs: 0, availableCapacity: 100 });
    // Busy listings without GPUs, or not admitted (not in the supply), add nothing.
    expect(busyCapacity(supply, ['n1', 'gone'])).toEqual({ activeGPUs: 0, availableCapacity: 100 });
    expect(busyCapacity(supply.slice(0, 2), ['h1'])).toEqual({ activeGPUs: 8, availableCapacity: 33.3 }); // 4/12
    expect(busyCapacity([listing('x', 'm', Capability.CHAT, 'H100', 3)], [])).toEqual({ activeGPUs: 0, availableCapacity: 100 });
    expect(
      busyCapacity(
        [
          listing('x', 'm', Capability.CHAT, 'H100', 3),
          listing('y', 'm', Capability.CHAT, 'H100', 3),
          listing('z', 'm', Capability.CHAT, 'H100', 2),
        ],
        ['z'],
      ),
    ).toEqual({ activeGPUs: 2, availableCapacity: 75 });
    expect(busyCapacity([], ['h1'])).toEqual({ activeGPUs: 0, availableCapacity: 0 });
  });
});

describe('reserve held as totalStakedLPT', () => {
  it('is the integer micro-USD shown as a USD number, exact to the micro', () => {
    expect(microsToUsdNumber(140_000)).toBe(0.14);
    expect(microsToUsdNumber(1_540_001)).toBe(1.540001);
    expect(microsToUsdNumber(0)).toBe(0);
  });
});
