// The SSRF guard for every URL FlagMeter calls on someone's behalf (Slack and generic webhooks).
// A webhook URL is chosen by an admin or a tenant, but the request leaves from inside the operator's
// network: without this guard it reaches loopback services, the cloud metadata endpoint or a
// private database port, and the answer comes back in an error message.
//
// The host is checked after DNS resolution (every address the name has), when the URL is saved and
// again when it is called, and the request is then pinned to the address that was checked (pinnedLookup),
// so a name that answers with a public address at the check and 127.0.0.1 a moment later (a DNS
// rebind) cannot switch it. IPv4 in other notations (0x7f000001, 2130706433, 127.1, 0177.0.0.1) is
// normalised by the WHATWG URL parser before it gets here; IPv6 forms that carry an IPv4 address
// (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address they carry.
import dns from 'node:dns';
import net from 'node:net';

/** Why an address is refused; null: a public unicast address. */
export type AddressClass =
  | 'loopback' | 'private' | 'link-local' | 'shared (CGNAT)' | 'multicast' | 'unspecified' | 'broadcast'
  | 'cloud metadata' | 'reserved' | 'documentation' | 'benchmarking';

interface Net { bytes: number[]; prefix: number }
const V4: [string, AddressClass][] = [
  // metadata before link-local: the more precise name wins
  ['169.254.169.254/32', 'cloud metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];
const V6: [string, AddressClass][] = [
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215): translates into the operator's own network
  ['100::/64', 'reserved'], // discard-only
  ['2001::/32', 'reserved'], // Teredo: a tunnel to wherever its embedded server says
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'private'], // unique local
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // site-local (deprecated, still routed by some)
  ['ff00::/8', 'multicast'],
];

/** The 4 or 16 bytes of an address in the forms node:net accepts; undefined for anything else. */
export function addressBytes(ip: string): number[] | undefined {
  const family = net.isIP(ip);
  if (family === 4) return ip.split('.').map(Number);
  if (family !== 6) return undefined;
  // a trailing dotted quad (::ffff:127.0.0.1) is two 16-bit groups written differently
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const before = groups(head);
  const after = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - before.length - after.length;
  const words = [...before, ...Array<number>(Math.max(0, zeros)).fill(0), ...after];
  if (words.length !== 8) return undefined;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function parseNet(cidr: string): Net | undefined {
  const [ip, bits, extra] = cidr.split('/');
  if (extra !== undefined || ip === undefined) return undefined;
  const bytes = addressBytes(ip);
  if (!bytes) return undefined;
  const prefix = bits === undefined ? bytes.length * 8 : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= bytes.length * 8)) return undefined;
  return { bytes, prefix };
}

function inNet(bytes: number[], n: Net): boolean {
  if (bytes.length !== n.bytes.length) return false;
  for (let bit = 0; bit < n.prefix; bit += 8) {
    const take = Math.min(8, n.prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (n.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

const v4Nets = V4.map(([c, k]) => [parseNet(c)!, k] as const);
const v6Nets = V6.map(([c, k]) => [parseNet(c)!, k] as const);
const IPV4_MAPPED = parseNet('::ffff:0:0/96')!;
const IPV4_COMPATIBLE = parseNet('::/96')!;
const NAT64 = parseNet('64:ff9b::/96')!;
const SIX_TO_FOUR = parseNet('2002::/16')!;

function classifyBytes(bytes: number[]): AddressClass | null {
  if (bytes.length === 4) return v4Nets.find(([n]) => inNet(bytes, n))?.[1] ?? null;
  const own = v6Nets.find(([n]) => inNet(bytes, n))?.[1];
  if (own) return own;
  // forms that carry an IPv4 address are as dangerous as that address
  if (inNet(bytes, IPV4_MAPPED) || inNet(bytes, NAT64)) return classifyBytes(bytes.slice(12));
  if (inNet(bytes, IPV4_COMPATIBLE)) return classifyBytes(bytes.slice(12)) ?? 'reserved';
  if (inNet(bytes, SIX_TO_FOUR)) return classifyBytes(bytes.slice(2, 6));
  return null;
}

/** Why an IP address may not be called, or null when it is public. Anything that is not an IP address counts as reserved. */
export function classifyAddress(ip: string): AddressClass | null {
  const bytes = addressBytes(ip.replace(/^\[|\]$/g, ''));
  return bytes ? classifyBytes(bytes) : 'reserved';
}

export interface ResolvedAddress { address: string; family: 4 | 6 }
/** Every address of a host name (tests pass their own: there is no DNS here, and a rebind needs two answers). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface WebhookPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: development only; every address but the cloud metadata ones may be called. */
  allowPrivate: boolean;
  /** WEBHOOK_ALLOW_HOSTS, host names: these names may resolve anywhere (lowercase; `*.example.com` for subdomains). */
  allowNames: string[];
  /** WEBHOOK_ALLOW_HOSTS, addresses and CIDRs: these may be called although private. */
  allowNets: Net[];
  resolve: Resolver;
}

/** One entry of WEBHOOK_ALLOW_HOSTS: a host name, `*.` and a domain, an IP address or a CIDR. */
export function allowEntryProblem(entry: string): string | null {
  if (entry.includes('/') || net.isIP(entry)) return parseNet(entry) ? null : `'${entry}' is not a valid address or CIDR`;
  return /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(entry) ? null : `'${entry}' is not a host name, address or CIDR`;
}

export function makePolicy(opts: { allowPrivate: boolean; allowHosts: string[] }, resolve: Resolver = systemResolver): WebhookPolicy {
  const nets = opts.allowHosts.filter((e) => e.includes('/') || net.isIP(e));
  return {
    allowPrivate: opts.allowPrivate,
    allowNames: opts.allowHosts.filter((e) => !nets.includes(e)).map((e) => e.toLowerCase()),
    allowNets: nets.map((e) => parseNet(e)!),
    resolve,
  };
}

const fromConfig = new WeakMap<object, WebhookPolicy>();
/** The policy of WEBHOOK_ALLOW_PRIVATE and WEBHOOK_ALLOW_HOSTS, with the system's resolver (one per config). */
/** The policy of a parsed config (its WEBHOOK_* fields; typed here without importing config.ts, which checks entries with allowEntryProblem). */
export function policyFor(config: { WEBHOOK_ALLOW_PRIVATE: boolean; WEBHOOK_ALLOW_HOSTS: string[] }): WebhookPolicy {
  let policy = fromConfig.get(config);
  if (!policy) {
    policy = makePolicy({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, allowHosts: config.WEBHOOK_ALLOW_HOSTS });
    fromConfig.set(config, policy);
  }
  return policy;
}

/** A refusal: its message names the class of address (and the address), never the URL. */
export class WebhookRefused extends Error {
  readonly code: 'forbidden_address' | 'unresolvable' | 'bad_url';
  constructor(message: string, code: WebhookRefused['code']) { super(message); this.code = code; }
}

const nameAllowed = (policy: WebhookPolicy, host: string) =>
  policy.allowNames.some((n) => (n.startsWith('*.') ? host.endsWith(n.slice(1)) : host === n));

function addressRefusal(policy: WebhookPolicy, address: string): string | null {
  const kind = classifyAddress(address);
  if (kind === null) return null;
  const bytes = addressBytes(address)!;
  if (policy.allowNets.some((n) => inNet(bytes, n))) return null;
  if (policy.allowPrivate && kind !== 'cloud metadata') return null;
  return `${kind} address ${address}`;
}

/** Where a request goes: the URL and the one address it will connect to. */
export interface Target { url: URL; address: string; family: 4 | 6 }

/**
 * Checks a webhook URL and picks the address to connect to. Every address the name resolves to
 * must be allowed: a name with one public and one private address could otherwise be steered.
 */
export async function resolveTarget(raw: string, policy: WebhookPolicy): Promise<Target> {
  let url: URL;
  try { url = new URL(raw); } catch { throw new WebhookRefused('the webhook URL is not a URL', 'bad_url'); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookRefused('the webhook URL must be http(s)', 'bad_url');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const trusted = nameAllowed(policy, host);
  let addresses: ResolvedAddress[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await policy.resolve(host);
    } catch (err) {
      throw new WebhookRefused(`the webhook's host name does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`, 'unresolvable');
    }
    if (addresses.length === 0) throw new WebhookRefused("the webhook's host name does not resolve (no addresses)", 'unresolvable');
  }
  if (!trusted || net.isIP(host)) {
    for (const a of addresses) {
      const refusal = addressRefusal(policy, a.address);
      if (refusal) throw new WebhookRefused(`webhooks may not call a ${refusal} (an operator can allow it with WEBHOOK_ALLOW_HOSTS)`, 'forbidden_address');
    }
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family };
}

/**
 * The check when a URL is saved: a forbidden address is refused; a name that does not resolve
 * right now is accepted (DNS changes anyway; the check at every call is the one that protects).
 */
export async function checkOnSave(raw: string, policy: WebhookPolicy): Promise<void> {
  try {
    await resolveTarget(raw, policy);
  } catch (err) {
    if (err instanceof WebhookRefused && err.code === 'unresolvable') return;
    throw err;
  }
}

/** A `lookup` for node:http(s) that always answers the checked address: the connection cannot be re-resolved elsewhere. */
export function pinnedLookup(target: Target): net.LookupFunction {
  return ((_hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    if (typeof options === 'function') { callback = options; options = {}; }
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as net.LookupFunction;
}
