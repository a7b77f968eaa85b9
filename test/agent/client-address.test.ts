/**
 * The client's address behind a reverse proxy: X-Forwarded-For is believed only from the proxies in
 * TRUSTED_PROXIES, read from the right, and never past an entry that is not an address.
 */
import { describe, expect, it } from "vitest";
import {
  forwardedClient,
  parseTrustedProxy,
  type TrustedProxy,
  trustedProxyList,
} from "../../agent/auth/client-address";
import { ConfigError, loadConfig } from "../../agent/config";

const valid = { ENROLLMENT_TOKENS: "a-token-of-sixteen-chars", STAFF_API_TOKEN: "x".repeat(24) };

function trusting(...entries: string[]) {
  return trustedProxyList(
    entries.map((entry) => {
      const proxy = parseTrustedProxy(entry);
      if (!proxy) throw new Error(`not a proxy entry: ${entry}`);
      return proxy;
    }),
  );
}

const proxies = trusting("10.0.0.0/8", "2001:db8:ffff::/48");

describe("forwardedClient", () => {
  it("is the socket's peer when no proxy is trusted, whatever the header says", () => {
    expect(forwardedClient("10.0.0.1", "203.0.113.7", trusting())).toBe("10.0.0.1");
    expect(forwardedClient("203.0.113.7", undefined, trusting())).toBe("203.0.113.7");
  });

  it("ignores the header from a peer that is not a trusted proxy: a client cannot choose its address", () => {
    expect(forwardedClient("192.0.2.50", "198.51.100.1", proxies)).toBe("192.0.2.50");
    expect(forwardedClient("192.0.2.50", "198.51.100.1, 10.0.0.2", proxies)).toBe("192.0.2.50");
    expect(forwardedClient("2001:db8:1::5", "10.0.0.9", proxies)).toBe("2001:db8:1::5");
  });

  it("believes a trusted proxy about the address it received the request from", () => {
    expect(forwardedClient("10.0.0.1", "203.0.113.7", proxies)).toBe("203.0.113.7");
  });

  it("is the trusted proxy itself when it sends no header, or an empty one", () => {
    expect(forwardedClient("10.0.0.1", undefined, proxies)).toBe("10.0.0.1");
    expect(forwardedClient("10.0.0.1", "", proxies)).toBe("10.0.0.1");
  });

  it("walks a chain of trusted proxies from the right to the first address that is not one", () => {
    expect(forwardedClient("10.0.0.1", "203.0.113.7, 10.0.0.3, 10.0.0.2", proxies)).toBe("203.0.113.7");
    // Only the first proxy is trusted: the second, which nobody vouches for, is the client.
    expect(forwardedClient("10.0.0.1", "203.0.113.7, 192.0.2.60", trusting("10.0.0.1"))).toBe("192.0.2.60");
  });

  it("never reads what the client wrote to the left of the address the proxy added", () => {
    expect(forwardedClient("10.0.0.1", "198.51.100.1, 10.0.0.7, 203.0.113.7", proxies)).toBe("203.0.113.7");
  });

  it("is the leftmost address when every entry is a trusted proxy", () => {
    expect(forwardedClient("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies)).toBe("10.0.0.3");
    expect(forwardedClient("192.0.2.1", "198.51.100.1, 203.0.113.7", trusting("0.0.0.0/0"))).toBe("198.51.100.1");
  });

  it("takes whitespace and several X-Forwarded-For headers (joined with commas) in its stride", () => {
    expect(forwardedClient("10.0.0.1", "  203.0.113.7 ,\t10.0.0.2  ", proxies)).toBe("203.0.113.7");
    const joined = new Headers([
      ["x-forwarded-for", "198.51.100.1"],
      ["x-forwarded-for", "203.0.113.7, 10.0.0.2"],
    ]).get("x-forwarded-for");
    expect(forwardedClient("10.0.0.1", joined ?? undefined, proxies)).toBe("203.0.113.7");
  });

  it("reads IPv6 proxies and clients", () => {
    expect(forwardedClient("2001:db8:ffff::1", "2001:DB8:12:34::9", proxies)).toBe("2001:db8:12:34::9");
    expect(forwardedClient("10.0.0.1", "2001:db8:12:34::9, 2001:db8:ffff:1::2", proxies)).toBe("2001:db8:12:34::9");
  });

  it("reads an IPv4-mapped IPv6 peer, entry or proxy block as IPv4", () => {
    expect(forwardedClient("::ffff:10.0.0.1", "::ffff:203.0.113.7", proxies)).toBe("203.0.113.7");
    expect(forwardedClient("::ffff:192.0.2.50", "203.0.113.7", proxies)).toBe("192.0.2.50");
    expect(forwardedClient("10.1.2.3", "203.0.113.7", trusting("::ffff:10.0.0.0/104"))).toBe("203.0.113.7");
    expect(forwardedClient("::ffff:10.1.2.3", "203.0.113.7", trusting("::ffff:10.0.0.0/104"))).toBe("203.0.113.7");
  });

  it("drops a port some load balancers add", () => {
    expect(forwardedClient("10.0.0.1", "203.0.113.7:52814", proxies)).toBe("203.0.113.7");
    expect(forwardedClient("10.0.0.1", "[2001:db8:12:34::9]:443", proxies)).toBe("2001:db8:12:34::9");
    expect(forwardedClient("10.0.0.1", "[2001:db8:12:34::9]", proxies)).toBe("2001:db8:12:34::9");
  });

  it("stops at an entry that is not an address, at the last trusted hop: garbage is never a client's key", () => {
    expect(forwardedClient("10.0.0.1", "unknown", proxies)).toBe("10.0.0.1");
    expect(forwardedClient("10.0.0.1", "203.0.113.7, not-an-address, 10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(forwardedClient("10.0.0.1", "203.0.113.7, , 10.0.0.2", proxies)).toBe("10.0.0.2");
    for (const garbage of ["999.1.1.1", "fe80::1%eth0", "[203.0.113.7]", "203.0.113.7:port", "_hidden", " "])
      expect(forwardedClient("10.0.0.1", garbage, proxies), garbage).toBe("10.0.0.1");
    // Left of the client, garbage is what the client wrote: never read.
    expect(forwardedClient("10.0.0.1", "not-an-address, 203.0.113.7", proxies)).toBe("203.0.113.7");
  });
});

describe("parseTrustedProxy", () => {
  it("reads addresses and CIDR blocks, IPv4 and IPv6", () => {
    expect(parseTrustedProxy("192.0.2.10")).toEqual<TrustedProxy>({
      address: "192.0.2.10",
      prefix: 32,
      family: "ipv4",
    });
    expect(parseTrustedProxy(" 10.0.0.0/8 ")).toEqual<TrustedProxy>({ address: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseTrustedProxy("::1")).toEqual<TrustedProxy>({ address: "::1", prefix: 128, family: "ipv6" });
    expect(parseTrustedProxy("2001:DB8::/32")).toEqual<TrustedProxy>({
      address: "2001:db8::",
      prefix: 32,
      family: "ipv6",
    });
    expect(parseTrustedProxy("::ffff:10.0.0.0/104")).toEqual<TrustedProxy>({
      address: "10.0.0.0",
      prefix: 8,
      family: "ipv4",
    });
  });

  it("refuses anything else", () => {
    for (const entry of [
      "",
      "nginx",
      "10.0.0.0/33",
      "2001:db8::/129",
      "10.0.0.0/",
      "10.0.0.0/8/8",
      "10.0.0.0/-1",
      "10.0.0.0/x",
      "256.0.0.1",
      "fe80::1%eth0",
      "::ffff:10.0.0.0/95",
    ])
      expect(parseTrustedProxy(entry), entry).toBeUndefined();
  });
});

describe("TRUSTED_PROXIES", () => {
  it("trusts nobody by default", () => {
    expect(loadConfig(valid).trustedProxies).toEqual([]);
  });

  it("reads a comma-separated list of addresses and blocks", () => {
    expect(loadConfig({ ...valid, TRUSTED_PROXIES: "127.0.0.1, ::1,10.0.0.0/8," }).trustedProxies).toEqual([
      { address: "127.0.0.1", prefix: 32, family: "ipv4" },
      { address: "::1", prefix: 128, family: "ipv6" },
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
    ]);
  });

  it("stops start-up naming the variable and each wrong entry", () => {
    const load = () => loadConfig({ ...valid, TRUSTED_PROXIES: "10.0.0.1, proxy.district.org, 10.0.0.0/40" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/TRUSTED_PROXIES: "proxy\.district\.org" is not an IP address or a CIDR block/);
    expect(load).toThrow(/TRUSTED_PROXIES: "10\.0\.0\.0\/40" is not/);
  });
});
