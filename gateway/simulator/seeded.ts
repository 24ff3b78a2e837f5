// Seeded determinism: equal inputs give equal embeddings and replies in every run and process.

/** FNV-1a over a string's UTF-16 code units or an array of numbers. */
export function fnv1a(input: string | readonly number[], seed = 0x811c9dc5): number {
  let hash = seed;
  const length = input.length;
  for (let i = 0; i < length; i++) {
    hash ^= typeof input === 'string' ? input.charCodeAt(i) : input[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A small seeded PRNG with uniform output in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
