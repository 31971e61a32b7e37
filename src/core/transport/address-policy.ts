import { BlockList, isIP } from "node:net";
import { invalidSetting } from "../errors";

/**
 * Which addresses a flow may make the pack fetch from. A URL in a message can come from a chat,
 * so by default only public internet addresses are reached: loopback, private, link-local and
 * other special ranges are refused unless the node's form allows the host (or its range).
 */

const SPECIAL_RANGES: { network: string; prefix: number; family: "ipv4" | "ipv6"; kind: string }[] = [
  { network: "0.0.0.0", prefix: 8, family: "ipv4", kind: "unspecified" },
  { network: "10.0.0.0", prefix: 8, family: "ipv4", kind: "private" },
  { network: "100.64.0.0", prefix: 10, family: "ipv4", kind: "shared (carrier-grade NAT)" },
  { network: "127.0.0.0", prefix: 8, family: "ipv4", kind: "loopback" },
  { network: "169.254.0.0", prefix: 16, family: "ipv4", kind: "link-local" },
  { network: "172.16.0.0", prefix: 12, family: "ipv4", kind: "private" },
  { network: "192.0.0.0", prefix: 24, family: "ipv4", kind: "reserved" },
  { network: "192.168.0.0", prefix: 16, family: "ipv4", kind: "private" },
  { network: "198.18.0.0", prefix: 15, family: "ipv4", kind: "reserved" },
  { network: "224.0.0.0", prefix: 4, family: "ipv4", kind: "multicast" },
  { network: "240.0.0.0", prefix: 4, family: "ipv4", kind: "reserved" },
  { network: "::", prefix: 128, family: "ipv6", kind: "unspecified" },
  { network: "::1", prefix: 128, family: "ipv6", kind: "loopback" },
  { network: "fc00::", prefix: 7, family: "ipv6", kind: "private" },
  { network: "fe80::", prefix: 10, family: "ipv6", kind: "link-local" },
  { network: "ff00::", prefix: 8, family: "ipv6", kind: "multicast" },
  { network: "64:ff9b::", prefix: 96, family: "ipv6", kind: "NAT64" },
];

const rangeLists = SPECIAL_RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { list, range };
});

/** An IPv6 form of an IPv4 address (::ffff:127.0.0.1) is judged as the IPv4 address. */
function unmapped(address: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  // The URL parser writes it in hex: [::ffff:127.0.0.1] becomes [::ffff:7f00:1].
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return address;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** The kind of special range an address is in ("loopback", "private"...), or undefined for a public address. */
export function specialRangeOf(address: string): string | undefined {
  const plain = unmapped(address.replace(/^\[|\]$/g, ""));
  const family = isIP(plain);
  if (family === 0) return "not an IP address";
  const type = family === 4 ? "ipv4" : "ipv6";
  return rangeLists.find(({ list, range }) => range.family === type && list.check(plain, type))?.range.kind;
}

interface AllowedEntry {
  host?: string;
  suffix?: string;
  range?: BlockList;
  text: string;
}

/** Host names (example.com, *.example.com), IP addresses and ranges (10.0.0.0/8) that may be private. */
export class AddressPolicy {
  private readonly entries: AllowedEntry[];

  constructor(allowed: readonly string[] = []) {
    this.entries = allowed.map(parseAllowedEntry);
  }

  /** Whether a host name (as written in the URL) was allowed by name. */
  allowsHostByName(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, "");
    return this.entries.some((entry) => entry.host === name || (entry.suffix !== undefined && name.endsWith(entry.suffix)));
  }

  /** Why the address may not be reached from this host, or undefined when it may. */
  refusal(host: string, address: string): string | undefined {
    const kind = specialRangeOf(address);
    if (kind === undefined) return undefined;
    if (this.allowsHostByName(host)) return undefined;
    const plain = unmapped(address.replace(/^\[|\]$/g, ""));
    const type = isIP(plain) === 6 ? "ipv6" : "ipv4";
    if (this.entries.some((entry) => entry.range?.check(plain, type))) return undefined;
    const named = host === address ? address : `${host} (${address})`;
    return `${named} is a ${kind} address; add it to the node's allowed private hosts to fetch from it`;
  }
}

function parseAllowedEntry(text: string): AllowedEntry {
  const entry = text.trim().toLowerCase();
  const bad = () =>
    invalidSetting(
      "privateHosts",
      "privateHost",
      `Private hosts allowed: "${text.slice(0, 60)}" is not a host name, an IP address or a range such as 10.0.0.0/8`,
      { entry: text.slice(0, 60) },
    );
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const family = isIP(cidr[1]);
    const prefix = Number(cidr[2]);
    if (family === 0 || prefix > (family === 4 ? 32 : 128)) throw bad();
    const range = new BlockList();
    range.addSubnet(cidr[1], prefix, family === 4 ? "ipv4" : "ipv6");
    return { range, text: entry };
  }
  const literal = entry.replace(/^\[|\]$/g, "");
  if (isIP(literal) !== 0) {
    const range = new BlockList();
    range.addAddress(unmapped(literal), isIP(unmapped(literal)) === 4 ? "ipv4" : "ipv6");
    return { range, text: entry };
  }
  if (/^\*\.[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(entry)) return { suffix: entry.slice(1), text: entry };
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(entry) && entry.length <= 253) return { host: entry, text: entry };
  throw bad();
}

/** Reads the form's list: one entry a line or separated by commas or spaces; at most 100 entries. */
export function parseAllowList(text: unknown): string[] {
  if (typeof text !== "string" || text.trim() === "") return [];
  const entries = text.split(/[\s,]+/).filter(Boolean);
  if (entries.length > 100) throw invalidSetting("privateHosts", "tooManyPrivateHosts", "Private hosts allowed: at most 100 entries");
  for (const entry of entries) parseAllowedEntry(entry);
  return entries;
}
