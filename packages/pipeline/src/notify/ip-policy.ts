import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Which IP addresses a callback may reach. ipaddr.js names every special-purpose range of the IANA
 * registries (loopback, private, link-local, CGNAT, reserved, multicast, NAT64, 6to4, Teredo...), so
 * the rule is "only `unicast` is public" rather than a hand-kept list that misses one. Node's
 * `net.BlockList` was the alternative; it needs that list written out by hand.
 */
const REASONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8 or ::)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  private: 'a private address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  reserved: 'a reserved address',
  rfc6052: 'a NAT64 address (64:ff9b::/96), which reaches an embedded IPv4 address',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 address, which reaches an embedded IPv4 address',
  teredo: 'a Teredo address, which reaches an embedded IPv4 address',
  deprecatedSiteLocal: 'a site-local (private) IPv6 address',
};

/** Cloud instance-metadata endpoints: named apart so an operator reading a refusal sees what was aimed at. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

/**
 * `::a.b.c.d` (IPv4-compatible, deprecated by RFC 4291) is plain unicast to ipaddr.js, yet some stacks
 * still route it to the embedded IPv4 address; nothing legitimate uses it.
 */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/** Normalises an IP string: IPv4-mapped IPv6 (`::ffff:7f00:1`) becomes the IPv4 address it reaches. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return undefined;
  return ipaddr.process(bare);
}

/** Why `address` must not be reached, or undefined when it is a public unicast address. */
export function blockedReason(address: Address): string | undefined {
  const text = address.toString();
  if (METADATA_ADDRESSES.has(text)) return 'a cloud metadata address';
  const range = address.range();
  if (range !== 'unicast') return REASONS[range] ?? `a special-purpose address (${range})`;
  if (address instanceof ipaddr.IPv6 && address.match(IPV4_COMPATIBLE)) {
    return 'an IPv4-compatible IPv6 address (deprecated ::/96)';
  }
  return undefined;
}

/** Allow-list entries (host names, IPs, CIDRs), parsed once. */
export interface CompiledAllowList {
  hosts: ReadonlySet<string>;
  ranges: ReadonlyArray<[Address, number]>;
}

export function compileAllowList(entries: readonly string[]): CompiledAllowList {
  const hosts = new Set<string>();
  const ranges: Array<[Address, number]> = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (ipaddr.isValidCIDR(entry)) {
      const [addr, bits] = ipaddr.parseCIDR(entry);
      // A mapped-IPv6 range is kept in its IPv4 form, since addresses are normalised to IPv4 too.
      if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress() && bits >= 96) {
        ranges.push([addr.toIPv4Address(), bits - 96]);
      } else {
        ranges.push([addr, bits]);
      }
    } else if (ipaddr.isValid(entry.replace(/^\[|\]$/g, ''))) {
      const addr = parseAddress(entry)!;
      ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9.-]+$/.test(entry)) {
      hosts.add(normaliseHostName(entry));
    } else {
      throw new Error(`callback allow-list entry "${raw}" is neither a host name, an IP address nor a CIDR`);
    }
  }
  return { hosts, ranges };
}

export function addressAllowed(allow: CompiledAllowList, address: Address): boolean {
  return allow.ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
}

/** Lower case, without the trailing dot of a fully-qualified name (`localhost.` is `localhost`). */
export function normaliseHostName(host: string): string {
  return host.toLowerCase().replace(/\.+$/, '');
}
