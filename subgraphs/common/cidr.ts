// IP allow/deny rules: IPv4 and IPv6 CIDR blocks. Parsing lives with the rule's owner (accounts
// validates on write); matching is used by the data plane against the client address.
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Null when not a valid block. */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string') return null;
  const [address, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The canonical text of a block, as stored. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** A matcher for a list of blocks; IPv4-mapped IPv6 client addresses match IPv4 blocks. */
export function cidrMatcher(blocks: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const text of blocks) {
    const cidr = parseCidr(text);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return (address: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const candidate = mapped ? mapped[1] : address;
    const version = isIP(candidate);
    if (version === 0) return false;
    return list.check(candidate, version === 4 ? 'ipv4' : 'ipv6');
  };
}
