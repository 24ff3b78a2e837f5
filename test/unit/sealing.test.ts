import { describe, expect, it } from 'vitest';
import { SecretSealer, maskSecret } from '../../subgraphs/common/sealing';

describe('sealed secrets (AES-256-GCM)', () => {
  const sealer = new SecretSealer('s'.repeat(48));

  it('opens what it sealed, and never seals the same way twice', () => {
    const a = sealer.seal('sk-provider-123456', 'ctx');
    const b = sealer.seal('sk-provider-123456', 'ctx');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-provider');
    expect(sealer.open(a, 'ctx')).toBe('sk-provider-123456');
  });

  it('refuses tampered text, another context, and another platform secret', () => {
    const sealed = sealer.seal('secret-value', 'api-key:1');
    const parts = sealed.split('.');
    const flipped = [...parts.slice(0, 3), (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1)].join('.');
    expect(() => sealer.open(flipped, 'api-key:1')).toThrow();
    expect(() => sealer.open(sealed, 'api-key:2')).toThrow();
    expect(() => new SecretSealer('t'.repeat(48)).open(sealed, 'api-key:1')).toThrow();
    expect(() => sealer.open('garbage')).toThrow();
  });

  it('masks secrets of every length', () => {
    expect(maskSecret('sk-abcdefghijklmnop')).toBe('sk-a…mnop');
    expect(maskSecret('short')).toBe('sh…');
  });
});
