// The outbound address rule, table by table: every refused range in each form an address can take
// (IPv4 literal, IPv6, IPv4-mapped, NAT64, 6to4, and the decimal/hex/octal/short IPv4 spellings a
// URL parser turns into dotted IPv4), against an independent integer oracle, on seeded random
// samples; and the base-URL rule sellers meet at registration.
import { describe, expect, it } from 'vitest';
import {
  addressClass,
  allowPrivateFor,
  boundedUpstreamText,
  holdOutboundPolicy,
  isPublicAddress,
  processOutboundPolicy,
} from '../../subgraphs/common/outbound';
import { nonPublicHost, validBaseUrl } from '../../subgraphs/market/services/validation';
import { DomainError } from '../../subgraphs/common/errors';

// A small deterministic generator (mulberry32): the same samples on every run.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(0x5eed);
const u32 = () => Math.floor(random() * 2 ** 32) >>> 0;

// ---- IPv4 ---------------------------------------------------------------------------------------

const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const parse4 = (text: string) => text.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;

// The oracle: the refused IPv4 blocks as integers, written out independently of the module's table.
const REFUSED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'this network / unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved + broadcast'],
];
const inBlock = (n: number, base: string, prefix: number) => prefix === 0 || n >>> (32 - prefix) === parse4(base) >>> (32 - prefix);
const oracleRefuses4 = (n: number) => REFUSED_V4.some(([base, prefix]) => inBlock(n, base, prefix));
const sampleIn = (base: string, prefix: number) => {
  const size = 2 ** (32 - prefix);
  return [parse4(base), parse4(base) + size - 1, parse4(base) + Math.floor(random() * size)].map((n) => n >>> 0);
};

const hex = (n: number) => n.toString(16);
/** The IPv6 forms that stand for an IPv4 address: connecting to them reaches that IPv4 host. */
function embeddings(n: number): string[] {
  const high = hex(n >>> 16);
  const low = hex(n & 0xffff);
  return [
    `::ffff:${dotted(n)}`,
    `::ffff:${high}:${low}`,
    `64:ff9b::${dotted(n)}`,
    `64:ff9b::${high}:${low}`,
    `2002:${high}:${low}::1`,
    `2002:${high}:${low}:abcd::`,
  ];
}
/** URL spellings of an IPv4 address that WHATWG parsing normalises to dotted form. */
function urlSpellings(n: number): string[] {
  const [a, b, c, d] = dotted(n).split('.').map(Number);
  return [
    `${n}`,
    `0x${hex(n)}`,
    [a, b, c, d].map((part) => `0${part.toString(8)}`).join('.'),
    [a, b, c, d].map((part) => `0x${hex(part)}`).join('.'),
    `${a}.${(b << 16) | (c << 8) | d}`,
    `0x${hex(a)}.${(b << 16) | (c << 8) | d}`,
  ];
}

describe('the IPv4 rule', () => {
  it.each(REFUSED_V4)('refuses %s/%i (%s): literal, embedded in IPv6, and every URL spelling', (base, prefix) => {
    for (const n of sampleIn(base, prefix)) {
      expect(isPublicAddress(dotted(n)), dotted(n)).toBe(false);
      for (const form of embeddings(n)) expect(addressClass(form), form).not.toBeNull();
      for (const spelling of urlSpellings(n)) {
        const host = new URL(`http://${spelling}/v1`).hostname;
        expect(host, spelling).toBe(dotted(n));
        expect(nonPublicHost(host), spelling).not.toBeNull();
        // IPv6 URL forms come back compressed to hex groups: still refused.
        expect(nonPublicHost(new URL(`http://[::ffff:${dotted(n)}]/`).hostname)).not.toBeNull();
      }
    }
  });

  it('agrees with the oracle on random addresses, and their embedded forms follow the IPv4 verdict', () => {
    let publicSeen = 0;
    for (let i = 0; i < 5000; i++) {
      const n = u32();
      const expected = !oracleRefuses4(n);
      expect(isPublicAddress(dotted(n)), dotted(n)).toBe(expected);
      if (i % 10 === 0) for (const form of embeddings(n)) expect(isPublicAddress(form), form).toBe(expected);
      if (expected) publicSeen++;
    }
    expect(publicSeen).toBeGreaterThan(3000); // the sample covers both sides
  });

  it('names the class', () => {
    expect(addressClass('127.0.0.1')).toBe('loopback');
    expect(addressClass('169.254.169.254')).toBe('link-local');
    expect(addressClass('0.0.0.0')).toBe('unspecified');
    expect(addressClass('255.255.255.255')).toBe('broadcast');
    expect(addressClass('100.100.100.200')).toBe('shared (CGNAT)');
    expect(addressClass('198.19.255.255')).toBe('benchmarking');
    expect(addressClass('::ffff:127.0.0.1')).toBe('loopback (in IPv4-mapped)');
    expect(addressClass('64:ff9b::a9fe:a9fe')).toBe('link-local (in NAT64)');
    expect(addressClass('2002:c0a8:101::1')).toBe('private (in 6to4)');
    expect(addressClass('8.8.8.8')).toBeNull();
  });
});

// ---- IPv6 ---------------------------------------------------------------------------------------

const REFUSED_V6: [prefix: string, bits: number, what: string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 8, 'reserved (IPv4-compatible, SIIT)'],
  ['100::', 64, 'discard-only'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['4000::', 2, 'outside global unicast'],
];

function groupsOf(prefix: string): number[] {
  const [head, tail = ''] = prefix.split('::');
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  return [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}
/** A random address inside prefix/bits. */
function randomIn(prefix: string, bits: number): string {
  const base = groupsOf(prefix);
  const groups = base.map((g, i) => {
    const fixed = Math.max(0, Math.min(16, bits - i * 16));
    const mask = fixed === 0 ? 0 : (0xffff << (16 - fixed)) & 0xffff;
    return (g & mask) | (Math.floor(random() * 0x10000) & ~mask & 0xffff);
  });
  return groups.map(hex).join(':');
}

describe('the IPv6 rule', () => {
  it.each(REFUSED_V6)('refuses %s/%i (%s)', (prefix, bits) => {
    for (let i = 0; i < 50; i++) {
      const address = randomIn(prefix, bits);
      // 6to4 and NAT64 inside these are judged by their IPv4 part, and none of these prefixes holds them except ::/8 (mapped).
      if (address.startsWith('0:0:0:0:0:ffff:')) continue;
      expect(addressClass(address), address).not.toBeNull();
      expect(addressClass(`[${address}]`), address).not.toBeNull();
    }
  });

  it('refuses zone-scoped link-local and accepts global unicast outside the special blocks', () => {
    expect(addressClass('fe80::1%eth0')).toBe('link-local');
    expect(addressClass('febf:ffff::1')).toBe('link-local');
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4001::200e', '2001:4860:4860::8888', '2c0f:fb50::1'])
      expect(isPublicAddress(address), address).toBe(true);
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const address = randomIn('2000::', 3);
      const first = parseInt(address.split(':')[0], 16);
      const second = parseInt(address.split(':')[1], 16);
      const special = first === 0x2002 || (first === 0x2001 && second < 0x200) || (first === 0x3fff && second < 0x1000) || first >= 0x3fff;
      if (special) continue;
      checked++;
      expect(isPublicAddress(address), address).toBe(true);
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('answers "not an IP address" for what is not one', () => {
    for (const text of ['', 'localhost', '1.2.3', '::g', '1:2:3:4:5:6:7:8:9']) expect(addressClass(text), text).toBe('not an IP address');
  });
});

// ---- the base-URL rule at registration ------------------------------------------------------------

const RULE_ON = { production: false, allowPrivate: false };
function refusal(value: string, rules = RULE_ON): string | null {
  try {
    validBaseUrl(value, 'baseUrl', rules);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as Error).message;
  }
}

describe('validBaseUrl', () => {
  it.each([
    'http://127.0.0.1:4010/v1',
    'http://169.254.169.254/v1',
    'http://2130706433/v1',
    'http://0x7f.1/v1',
    'http://0177.0.0.1/v1',
    'http://127.1/v1',
    'http://[::1]/v1',
    'http://[::ffff:127.0.0.1]/v1',
    'http://[::ffff:a9fe:a9fe]/v1',
    'http://[64:ff9b::10.0.0.1]/v1',
    'http://[2002:c0a8:0101::1]/v1',
    'http://[fe80::1]/v1',
    'http://[fd00:ec2::254]/v1',
    'http://[2001::1]/v1',
    'http://198.18.0.1/v1',
    'http://224.0.0.1/v1',
    'http://255.255.255.255/v1',
    'http://0.0.0.0/v1',
    'https://localhost/v1',
    'https://localhost./v1',
    'https://api.localhost/v1',
    'https://metadata.google.internal/v1',
    'https://printer.local/v1',
    'https://metadata/v1',
  ])('refuses %s while the rule is on', (value) => {
    expect(refusal(value)).toMatch(/must be a public address/);
  });

  it('refuses credentials, other schemes, queries and (in production) plain http for every host', () => {
    expect(refusal('http://user:pass@api.example.com/v1')).toMatch(/credentials/);
    expect(refusal('ftp://api.example.com/v1')).toMatch(/http\(s\)/);
    expect(refusal('file:///etc/passwd')).toMatch(/http\(s\)/);
    expect(refusal('https://api.example.com/v1?x=1')).toMatch(/query/);
    expect(refusal('http://api.example.com/v1', { production: true, allowPrivate: false })).toMatch(/https/);
  });

  it('takes public names and addresses, and private ones only when the setting allows them', () => {
    expect(validBaseUrl('https://api.example.com/v1/', 'baseUrl', RULE_ON)).toBe('https://api.example.com/v1');
    expect(validBaseUrl('https://8.8.8.8/v1', 'baseUrl', RULE_ON)).toBe('https://8.8.8.8/v1');
    expect(validBaseUrl('https://[2606:4700::1111]/v1', 'baseUrl', RULE_ON)).toBe('https://[2606:4700::1111]/v1');
    expect(validBaseUrl('http://127.0.0.1:4010/v1', 'baseUrl', { production: false, allowPrivate: true })).toBe('http://127.0.0.1:4010/v1');
    expect(validBaseUrl('http://localhost:4010/v1', 'baseUrl', { production: false, allowPrivate: true })).toBe('http://localhost:4010/v1');
  });
});

// ---- the setting ------------------------------------------------------------------------------

describe('OUTBOUND_ALLOW_PRIVATE', () => {
  it('is off unless given, except for the embedded product running its own simulator outside production', () => {
    expect(allowPrivateFor({ nodeEnv: 'development' }, false)).toBe(false);
    expect(allowPrivateFor({ nodeEnv: 'development' }, true)).toBe(true);
    expect(allowPrivateFor({ nodeEnv: 'production' }, true)).toBe(false);
    expect(allowPrivateFor({ nodeEnv: 'production', outboundAllowPrivate: true }, false)).toBe(true);
    expect(allowPrivateFor({ nodeEnv: 'development', outboundAllowPrivate: false }, true)).toBe(false);
  });

  it('held by platforms: the process allows private addresses only while every holder does', () => {
    const allow = holdOutboundPolicy({ allowPrivate: true });
    expect(processOutboundPolicy().allowPrivate).toBe(true);
    const deny = holdOutboundPolicy({ allowPrivate: false });
    expect(processOutboundPolicy().allowPrivate).toBe(false);
    deny();
    expect(processOutboundPolicy().allowPrivate).toBe(true);
    allow();
    allow(); // releasing twice is harmless
  });
});

// ---- upstream text shown to sellers --------------------------------------------------------------

describe('boundedUpstreamText', () => {
  it('is at most 120 characters, without keys, URLs or addresses', () => {
    const text = boundedUpstreamText(
      `upstream said: invalid key sk-live-0123456789abcdef, see http://10.1.2.3:8080/admin/secrets?token=x from 10.1.2.3 [fd00::5]:80 or fd00::5 at 12:30:45 ${'z'.repeat(300)}`,
    );
    expect(text.length).toBeLessThanOrEqual(120);
    expect(text).not.toMatch(/0123456789abcdef|10\.1\.2\.3|fd00|http:|admin/);
    expect(text).toContain('12:30:45');
    expect(boundedUpstreamText('  model\n\tnot   found ')).toBe('model not found');
  });
});
