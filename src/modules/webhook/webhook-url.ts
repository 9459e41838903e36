import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may be sent: no server-side request forgery. In production only `https:` URLs whose host
 * resolves to public addresses only; outside production (development, tests) `http:` and private addresses
 * such as 127.0.0.1 too. The address is checked when the subscription is made and again at every delivery,
 * on the address the connection then uses (`guardedLookup`): a name that resolved to a public address at
 * subscription time and to 169.254.169.254 later (DNS rebinding) is refused at the connection.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of any IPv4 address
  ['2001:db8::', 32], // documentation
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** True for an address a webhook may not reach in production (IPv4-mapped IPv6 is judged as its IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPrivateAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ReceiverRefused extends Error {
  override name = 'ReceiverRefused';
}

export interface ReceiverPolicy {
  /** Production: https only, public addresses only. */
  production: boolean;
}

/** Checks a receiver URL's form (no DNS): returns the parsed URL or throws ReceiverRefused saying why. */
export function parseReceiverUrl(raw: string, { production }: ReceiverPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReceiverRefused(`"${raw.slice(0, 200)}" is not an absolute URL.`);
  }
  if (url.protocol !== 'https:' && (production || url.protocol !== 'http:'))
    throw new ReceiverRefused(
      production
        ? `The URL must use https (got ${url.protocol.replace(':', '')}).`
        : `The URL must use https or http (got ${url.protocol.replace(':', '')}).`,
    );
  if (url.username || url.password) throw new ReceiverRefused('The URL may not carry a user name or password.');
  return url;
}

/** Checks a receiver URL and, in production, every address its host resolves to now. */
export async function checkReceiverUrl(raw: string, policy: ReceiverPolicy): Promise<URL> {
  const url = parseReceiverUrl(raw, policy);
  if (!policy.production) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw new ReceiverRefused(`The host ${host} does not resolve.`);
    }
  }
  const refused = addresses.find(isPrivateAddress);
  if (refused)
    throw new ReceiverRefused(
      `The host ${host} resolves to ${refused}, a private, loopback, link-local or reserved address: webhooks go to public addresses only.`,
    );
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that resolves the host and refuses the connection when any address it would
 * use is private (production): the address checked is the one connected to.
 */
export function guardedLookup(policy: ReceiverPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const refused = policy.production ? list.find((a) => isPrivateAddress(a.address)) : undefined;
      if (refused || !list.length)
        return callback(
          Object.assign(new ReceiverRefused(`${hostname} resolves to a private address (${refused?.address})`), {
            code: 'EPRIVATE',
          }),
          [],
        );
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
