// Server-side request forgery protection: the one rule for every outbound call to a seller's
// provider (the market's key validation and probes, the gateway's data plane). Sellers choose
// where the platform connects, so by default the platform connects only to public unicast
// addresses. The rule is applied when the socket connects, to the address the name resolved to,
// so a name that resolves to a public address when registered and to a private one later (DNS
// rebinding) is still refused. Registration checks the literal URL as well (validation.ts), only
// to answer the seller early; the connect-time check is the one that holds.
import { BlockList, isIP, type LookupFunction } from 'node:net';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { parseAllowPrivate } from './config';
import { scrub } from './log';

export const OUTBOUND_REFUSED_CODE = 'ERR_OUTBOUND_ADDRESS_REFUSED';

type Ranges = readonly (readonly [name: string, blocks: readonly string[]])[];

// First match names the class, so the more specific blocks come first (0.0.0.0 before 0/8…).
const IPV4_RANGES: Ranges = [
  ['unspecified', ['0.0.0.0/32']],
  ['"this network" (0.0.0.0/8)', ['0.0.0.0/8']],
  ['loopback', ['127.0.0.0/8']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['link-local', ['169.254.0.0/16']],
  ['shared (CGNAT)', ['100.64.0.0/10']],
  ['benchmarking', ['198.18.0.0/15']],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24']],
  ['IETF protocol assignment', ['192.0.0.0/24']],
  ['reserved (6to4 relay anycast)', ['192.88.99.0/24']],
  ['multicast', ['224.0.0.0/4']],
  ['broadcast', ['255.255.255.255/32']],
  ['reserved', ['240.0.0.0/4']],
];

// Checked after the forms that embed an IPv4 address have been judged by that address.
const IPV6_RANGES: Ranges = [
  ['unspecified', ['::/128']],
  ['loopback', ['::1/128']],
  ['private (unique local)', ['fc00::/7']],
  ['link-local', ['fe80::/10']],
  ['reserved (site-local)', ['fec0::/10']],
  ['multicast', ['ff00::/8']],
  ['documentation', ['2001:db8::/32', '3fff::/20']],
  // Teredo hides the IPv4 server and client obfuscated; refusing it is simpler than decoding it.
  ['Teredo', ['2001::/32']],
  ['benchmarking', ['2001:2::/48']],
  ['IETF protocol assignment', ['2001::/23']],
  ['discard-only', ['100::/64']],
  // Local-use NAT64: translated by some local network, with the IPv4 part at a prefix-dependent place.
  ['local-use NAT64', ['64:ff9b:1::/48']],
  // IPv4-compatible (deprecated), SIIT-translated and the rest of the reserved first /8.
  ['reserved', ['::/8']],
];

function compile(ranges: Ranges, family: 'ipv4' | 'ipv6'): { name: string; list: BlockList }[] {
  return ranges.map(([name, blocks]) => {
    const list = new BlockList();
    for (const block of blocks) {
      const [address, prefix] = block.split('/');
      list.addSubnet(address, Number(prefix), family);
    }
    return { name, list };
  });
}

const V4 = compile(IPV4_RANGES, 'ipv4');
const V6 = compile(IPV6_RANGES, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (already valid by `isIP`), zone id dropped. */
function ipv6Groups(address: string): number[] | null {
  let text = address.split('%')[0].toLowerCase();
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number);
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((group) =>
    /^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN,
  );
  return groups.some(Number.isNaN) ? null : groups;
}

const v4From = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address stands for, where connecting to it reaches that IPv4 host. */
function embeddedIpv4(groups: number[]): { form: string; ipv4: string } | null {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return { form: 'IPv4-mapped', ipv4: v4From(groups[6], groups[7]) };
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return { form: 'NAT64', ipv4: v4From(groups[6], groups[7]) };
  if (groups[0] === 0x2002) return { form: '6to4', ipv4: v4From(groups[1], groups[2]) };
  return null;
}

/**
 * Why an address is not public ("loopback", "private", "link-local (in IPv4-mapped)", …), or null
 * when it is a public unicast address. Accepts IPv4, IPv6 and bracketed IPv6; anything else is
 * "not an IP address".
 */
export function addressClass(address: string): string | null {
  const ip = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(ip);
  if (family === 4) return V4.find((range) => range.list.check(ip, 'ipv4'))?.name ?? null;
  if (family !== 6) return 'not an IP address';
  const groups = ipv6Groups(ip);
  if (!groups) return 'not an IP address';
  const embedded = embeddedIpv4(groups);
  if (embedded) {
    const inner = addressClass(embedded.ipv4);
    return inner === null ? null : `${inner} (in ${embedded.form})`;
  }
  const canonical = groups.map((g) => g.toString(16)).join(':');
  const named = V6.find((range) => range.list.check(canonical, 'ipv6'))?.name;
  if (named) return named;
  // Only 2000::/3 is allocated as global unicast; everything else is reserved.
  return (groups[0] & 0xe000) === 0x2000 ? null : 'reserved (not global unicast)';
}

/** Whether the platform may connect to this address on a seller's behalf. */
export function isPublicAddress(address: string): boolean {
  return addressClass(address) === null;
}

/** Raised (as a socket error) when the rule refuses a connection. */
export class OutboundAddressRefused extends Error {
  readonly code = OUTBOUND_REFUSED_CODE;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: string,
  ) {
    super(`refused to connect to ${host === address ? address : `${host} (${address})`}: not a public address (${addressClass})`);
    this.name = 'OutboundAddressRefused';
  }
}

/** The refusal behind an error from an outbound call, if that is what it was. */
export function outboundRefusal(error: unknown): OutboundAddressRefused | null {
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof OutboundAddressRefused) return current;
    if ((current as { code?: unknown }).code === OUTBOUND_REFUSED_CODE) return current as OutboundAddressRefused;
  }
  return null;
}

// ---- the setting --------------------------------------------------------------------------

export interface OutboundPolicy {
  /** Connect to loopback, private, link-local… addresses too (the embedded demo, test stacks). */
  allowPrivate: boolean;
}

/**
 * Whether a platform allows private addresses: the setting when given; otherwise only when the
 * embedded product runs its own (loopback) simulator outside production, so `npm start` works.
 */
export function allowPrivateFor(config: { outboundAllowPrivate?: boolean; nodeEnv: string }, startsOwnSimulator: boolean): boolean {
  if (config.outboundAllowPrivate !== undefined) return config.outboundAllowPrivate;
  return startsOwnSimulator && config.nodeEnv !== 'production';
}

// The policy of this process. A running platform holds its own; with none (a subgraph process of
// its own) OUTBOUND_ALLOW_PRIVATE from the environment applies. Several platforms in one process
// (only tests start several) must all allow private addresses for the process to allow them.
const held = new Set<symbol>();
const allowing = new Set<symbol>();

/** Makes a platform's policy the process's until the returned release is called. */
export function holdOutboundPolicy(policy: OutboundPolicy): () => void {
  const token = Symbol('outbound-policy');
  held.add(token);
  if (policy.allowPrivate) allowing.add(token);
  return () => {
    held.delete(token);
    allowing.delete(token);
  };
}

/** The policy in force in this process now. */
export function processOutboundPolicy(): OutboundPolicy {
  if (held.size > 0) return { allowPrivate: allowing.size === held.size };
  let fromEnv: boolean | undefined;
  try {
    fromEnv = parseAllowPrivate(process.env.OUTBOUND_ALLOW_PRIVATE);
  } catch {
    fromEnv = false; // loadConfig reports the bad value; until then the rule stays on
  }
  return { allowPrivate: fromEnv === true };
}

// ---- the agents ---------------------------------------------------------------------------

type PolicySource = OutboundPolicy | (() => OutboundPolicy);
const policyOf = (source: PolicySource): OutboundPolicy => (typeof source === 'function' ? source() : source);

/** A `dns.lookup` that refuses the name when any address it resolves to is not public. */
export function guardedLookup(source: PolicySource, resolve: LookupFunction = dns.lookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, resolved, family) => {
      if (error) return callback(error, options.all ? [] : '', 0);
      const addresses: dns.LookupAddress[] = Array.isArray(resolved) ? resolved : [{ address: resolved, family: family ?? isIP(resolved) }];
      if (addresses.length === 0)
        return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), options.all ? [] : '', 0);
      if (!policyOf(source).allowPrivate) {
        // One private answer refuses the name: a name mixing public and private answers is a rebinding attempt or a misconfiguration.
        for (const { address } of addresses) {
          const kind = addressClass(address);
          if (kind !== null) return callback(new OutboundAddressRefused(hostname, address, kind), options.all ? [] : '', 0);
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Refusal of a connection that skips the lookup: an IP literal, or a local socket path. */
function literalRefusal(
  source: PolicySource,
  options: { host?: string | null; socketPath?: string; path?: string | null },
): OutboundAddressRefused | null {
  if (policyOf(source).allowPrivate) return null;
  if (options.socketPath) return new OutboundAddressRefused(options.socketPath, options.socketPath, 'local socket');
  const host = (options.host ?? '').replace(/^\[(.*)\]$/, '$1');
  if (!isIP(host)) return null;
  const kind = addressClass(host);
  return kind === null ? null : new OutboundAddressRefused(host, host, kind);
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

class GuardedHttpAgent extends http.Agent {
  constructor(
    private readonly source: PolicySource,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const refusal = literalRefusal(this.source, options);
    if (refusal) {
      // The agent takes a socket either returned or passed to the callback; an error there fails the request.
      process.nextTick(() => callback?.(refusal, undefined as unknown as Duplex));
      return undefined;
    }
    return super.createConnection(options, callback);
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(
    private readonly source: PolicySource,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const refusal = literalRefusal(this.source, options);
    if (refusal) {
      process.nextTick(() => callback?.(refusal, undefined as unknown as Duplex));
      return undefined;
    }
    return super.createConnection(options, callback);
  }
}

export interface OutboundAgents {
  'http:': http.Agent;
  'https:': https.Agent;
}

export interface OutboundAgentOptions {
  /** The resolver (dns.lookup's signature); tests inject one instead of real DNS. */
  lookup?: LookupFunction;
}

/** An http and an https agent, pooled and kept alive, that connect only where the policy allows. */
export function createOutboundAgents(source: PolicySource, options: OutboundAgentOptions = {}): OutboundAgents {
  const lookup = guardedLookup(source, options.lookup);
  const common = { keepAlive: true, maxSockets: 1024, keepAliveMsecs: 30_000, lookup };
  return { 'http:': new GuardedHttpAgent(source, common), 'https:': new GuardedHttpsAgent(source, common) };
}

/** The process's agents: every call to a seller's provider goes through these. */
export const outboundAgents: OutboundAgents = createOutboundAgents(processOutboundPolicy);

// ---- a fetch over those agents ----------------------------------------------------------------

export interface OutboundInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * A `fetch`-shaped call through the guarded agents (the global fetch has its own connection pool,
 * outside the rule). Never follows redirects. Rejects with the socket's error (code
 * ERR_OUTBOUND_ADDRESS_REFUSED when the rule refused) or with the signal's reason.
 */
export function outboundFetch(target: string, init: OutboundInit, agents: OutboundAgents = outboundAgents): Promise<Response> {
  let url: URL;
  try {
    url = new URL(target);
  } catch (error) {
    return Promise.reject(error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError(`not an http(s) URL: ${url.protocol}`));
  const transport = url.protocol === 'https:' ? https : http;
  const { signal } = init;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let incoming: http.IncomingMessage | null = null;
    const onAbort = () => {
      const reason = signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
      outgoing.destroy(reason);
      incoming?.destroy(reason);
      reject(reason);
    };
    const release = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const outgoing = transport.request(url, {
      method: init.method,
      headers: init.headers,
      agent: agents[url.protocol as 'http:' | 'https:'],
    });
    outgoing.on('error', (error) => {
      release();
      reject(error);
    });
    outgoing.on('response', (response) => {
      incoming = response;
      response.once('end', release);
      response.once('close', release);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 599) {
        response.destroy();
        reject(Object.assign(new Error(`the upstream answered an invalid HTTP status (${status})`), { code: 'ERR_INVALID_HTTP_STATUS' }));
        return;
      }
      const headers = new Headers();
      for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
        try {
          headers.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
        } catch {
          // a header value fetch would not accept: dropped
        }
      }
      const noBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
      if (noBody) response.resume();
      resolve(
        new Response(noBody ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), {
          status,
          statusText: response.statusMessage ?? '',
          headers,
        }),
      );
    });
    outgoing.end(init.body);
  });
}

// ---- upstream text shown to sellers ---------------------------------------------------------

/** How much of an upstream's own words a seller sees (probe failures, contract checks). */
export const MAX_UPSTREAM_TEXT = 120;

const URLS = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>()]+/gi;
const IPV4_LITERALS = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;
// Candidates only: a run is replaced when it is an IPv6 address (so "12:30:45" stays).
const IPV6_CANDIDATES = /\[?[0-9a-f]*(?::[0-9a-f]*){2,7}(?:%[\w.-]+)?\]?/gi;
const ipv6Only = (candidate: string) => (isIP(candidate.replace(/^\[|\]$/g, '')) === 6 ? '[address]' : candidate);

/**
 * Upstream text fit to show a seller: credential-shaped strings, URLs and IP addresses removed
 * (an upstream's error page can reflect what it can reach), whitespace collapsed, at most `max`
 * characters.
 */
export function boundedUpstreamText(text: string, max = MAX_UPSTREAM_TEXT): string {
  const clean = scrub(text)
    .replace(URLS, '[url]')
    .replace(IPV4_LITERALS, '[address]')
    .replace(IPV6_CANDIDATES, ipv6Only)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1).trimEnd()}…`;
}
