import { describe, expect, it } from 'vitest';
import { cidrMatcher, formatCidr, parseCidr } from '../../subgraphs/common/cidr';

describe('CIDR rules', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.7', '192.168.1.7/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    [' 0.0.0.0/0 ', '0.0.0.0/0'],
  ])('parses %j', (text, canonical) => {
    expect(formatCidr(parseCidr(text)!)).toBe(canonical);
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', 'abc', '10.0.0/8', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/', '', '1.2.3.4/ 8'])(
    'refuses %j',
    (text) => {
      expect(parseCidr(text)).toBeNull();
    },
  );

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 client addresses', () => {
    const match = cidrMatcher(['10.0.0.0/8', '2001:db8::/32', '203.0.113.5']);
    expect(match('10.200.3.4')).toBe(true);
    expect(match('11.0.0.1')).toBe(false);
    expect(match('2001:db8:1::9')).toBe(true);
    expect(match('2001:db9::1')).toBe(false);
    expect(match('::ffff:10.1.2.3')).toBe(true);
    expect(match('203.0.113.5')).toBe(true);
    expect(match('203.0.113.6')).toBe(false);
    expect(match('not-an-ip')).toBe(false);
  });

  it('matches nothing with no blocks', () => {
    expect(cidrMatcher([])('10.0.0.1')).toBe(false);
  });
});
