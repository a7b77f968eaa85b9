/**
 * The address of the client behind a request, for the per-address rate limits. Behind a reverse
 * proxy (nginx, a load balancer) the socket's peer is the proxy: the proxies named in
 * TRUSTED_PROXIES are believed about whom they forwarded for (X-Forwarded-For); nobody else is.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/** A proxy, or a block of addresses, whose X-Forwarded-For is believed. */
export interface TrustedProxy {
  /** The network's address (an IPv4-mapped IPv6 one as IPv4), in lower case. */
  address: string;
  /** The prefix length: 32 (IPv4) or 128 (IPv6) for one address. */
  prefix: number;
  family: "ipv4" | "ipv6";
}

const mappedIPv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:192.0.2.1`, how a dual-stack socket shows an IPv4 client, as `192.0.2.1`. */
function unmapped(address: string): string {
  return mappedIPv4.exec(address)?.[1] ?? address;
}

/**
 * A TRUSTED_PROXIES entry, `192.0.2.10`, `10.0.0.0/8`, `2001:db8::/32` (or an IPv4-mapped IPv6
 * address or block, read as IPv4), or undefined when it is none of these. A zone id (`fe80::1%eth0`)
 * is refused: a proxy is named by its address alone.
 */
export function parseTrustedProxy(entry: string): TrustedProxy | undefined {
  const [written = "", prefixText, ...more] = entry.trim().split("/");
  if (more.length) return undefined;
  const address = unmapped(written);
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) && !address.includes("%") ? "ipv6" : undefined;
  if (!family) return undefined;
  const widest = family === "ipv4" ? 32 : 128;
  if (prefixText === undefined) return { address: address.toLowerCase(), prefix: widest, family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  // An IPv4-mapped block counts its prefix over 128 bits: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  const prefix = Number(prefixText) - (address === written ? 0 : 96);
  if (prefix < 0 || prefix > widest) return undefined;
  return { address: address.toLowerCase(), prefix, family };
}

/** The trusted proxies as a `net.BlockList`, which matches IPv4 and IPv6 subnets (mapped IPv4 included). */
export function trustedProxyList(proxies: readonly TrustedProxy[]): BlockList {
  const list = new BlockList();
  for (const proxy of proxies) list.addSubnet(proxy.address, proxy.prefix, proxy.family);
  return list;
}

function isTrusted(address: string, trusted: BlockList): boolean {
  return trusted.check(address, isIPv4(address) ? "ipv4" : "ipv6");
}

/**
 * One X-Forwarded-For entry as an address, or undefined when it is not one (nginx's `unknown`, an
 * obfuscated name, a typo). Some load balancers add the client's port (Azure Application Gateway
 * writes `192.0.2.1:52814` and `[2001:db8::1]:52814`): it is dropped.
 */
function hopAddress(entry: string): string | undefined {
  const text = entry.trim();
  const bracketed = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(text)?.[1];
  if (bracketed !== undefined) return isIPv6(bracketed) && !bracketed.includes("%") ? unmapped(bracketed) : undefined;
  const address = unmapped(/^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text)?.[1] ?? text);
  if (isIPv4(address)) return address;
  return isIPv6(address) && !address.includes("%") ? address.toLowerCase() : undefined;
}

/**
 * The client's address, given the socket's peer and the X-Forwarded-For header it sent.
 *
 * A peer that is not a trusted proxy is the client, whatever the header says: anyone can write one.
 * From a trusted peer the header is read from the right, each proxy having added the address it
 * received the request from: trusted proxies are passed over, and the first address that is not one
 * is the client. The entries to its left were written by the client, or by proxies nobody vouches
 * for, and are never read.
 *
 * An entry that is not an address ends the walk, and the last trusted hop stands for the client:
 * the proxy that received the request from whatever wrote it. The limits are then shared by
 * everyone behind that proxy (stricter, as without this setting), but nothing written into the
 * header by a client ever becomes its rate-limit key. When every entry is a trusted proxy, the
 * leftmost is the client.
 */
export function forwardedClient(peer: string, forwardedFor: string | undefined, trusted: BlockList): string {
  let client = unmapped(peer);
  if (!forwardedFor || !isTrusted(client, trusted)) return client;
  // Several X-Forwarded-For headers arrive joined with ", " (RFC 9110 §5.3), in the order sent.
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i] ?? "");
    if (hop === undefined) return client;
    client = hop;
    if (!isTrusted(hop, trusted)) return hop;
  }
  return client;
}

/**
 * Reads a request's client address, believing X-Forwarded-For from `proxies` only. A request with
 * no socket (`app.request()` in tests) is "unknown".
 */
export function clientAddressReader(proxies: readonly TrustedProxy[]): (c: Context) => string {
  const trusted = trustedProxyList(proxies);
  return function clientAddress(c) {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      return "unknown";
    }
    return peer ? forwardedClient(peer, c.req.header("x-forwarded-for"), trusted) : "unknown";
  };
}
