/**
 * Where a connection may send requests: the admin's host allow and deny lists, and by
 * default no loopback, link-local, private or otherwise special address. The HTTP
 * client calls `check` before every request and every redirect hop (a host name
 * against the lists, an address literal against the ranges), and node:http's agent
 * resolves names through `lookup`, which refuses a name that resolves into a blocked
 * range at connect time — so a name that changes its address between the check and the
 * connect (DNS rebinding) is caught where the socket is opened.
 */
import dns from 'node:dns';
import net from 'node:net';
import { TimebridgeError } from '../../core/errors.js';

export interface OutboundRules {
  /** Host names (or `*.suffix` patterns) requests may go to; empty: any host. */
  allowHosts?: string[];
  /** Host names (or `*.suffix` patterns) requests never go to. */
  denyHosts?: string[];
  /** CIDR ranges reachable even though they are private or loopback (e.g. an internal CalDAV at 10.0.4.0/24). */
  allowNetworks?: string[];
  /** Further CIDR ranges never reached. */
  denyNetworks?: string[];
}

export interface OutboundGuard {
  /** Throws OUTBOUND_REFUSED when the URL's host may not be reached. */
  check(url: URL): void;
  /** A `lookup` for node:http agents: resolves, then refuses blocked addresses. */
  lookup: net.LookupFunction;
}

/** Ranges no user connection reaches unless the admin allows them. */
const SPECIAL_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const SPECIAL_V6 = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const;

function blockList(cidrs: string[], what: string): net.BlockList {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/');
    const type = net.isIP(addr ?? '');
    const prefix = Number(bits ?? (type === 6 ? 128 : 32));
    if (!type || !Number.isInteger(prefix)) {
      throw new TimebridgeError('CONFIG_INVALID', `serve.outbound.${what}: "${cidr}" is not a CIDR range.`, {
        hint: 'Write ranges such as 10.0.4.0/24 or fd00::/8.',
      });
    }
    list.addSubnet(addr!, prefix, type === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const matches = (host: string, pattern: string): boolean => {
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
};

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is checked as the IPv4 address it is. */
function plain(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: net.isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

function refused(host: string, why: string): TimebridgeError {
  return new TimebridgeError('OUTBOUND_REFUSED', `Requests to ${host} are not allowed: ${why}.`, {
    hint: 'Use a public address, or ask an admin to allow the host or range in serve.outbound.',
  });
}

export function outboundGuard(rules: OutboundRules = {}): OutboundGuard {
  const special = blockList([...SPECIAL_V4.map(([a, b]) => `${a}/${b}`), ...SPECIAL_V6.map(([a, b]) => `${a}/${b}`)], 'special');
  const allowNets = blockList(rules.allowNetworks ?? [], 'allowNetworks');
  const denyNets = blockList(rules.denyNetworks ?? [], 'denyNetworks');
  const allowHosts = rules.allowHosts ?? [],
    denyHosts = rules.denyHosts ?? [];

  const addressProblem = (address: string): string | null => {
    const a = plain(address);
    if (denyNets.check(a.address, a.family)) return `${address} is in a denied range`;
    if (allowNets.check(a.address, a.family)) return null;
    if (special.check(a.address, a.family)) return `${address} is a loopback, link-local, private or reserved address`;
    return null;
  };

  const check = (url: URL): void => {
    const host = url.hostname
      .replace(/^\[|\]$/g, '')
      .toLowerCase()
      .replace(/\.$/, '');
    if (denyHosts.some((p) => matches(host, p))) throw refused(host, 'the host is on the deny list');
    if (allowHosts.length && !allowHosts.some((p) => matches(host, p))) throw refused(host, 'the host is not on the allow list');
    if (net.isIP(host)) {
      const problem = addressProblem(host);
      if (problem) throw refused(host, problem);
    }
  };

  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const problem = addressProblem(a.address);
        if (problem) return callback(refused(hostname, problem) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };

  return { check, lookup };
}
