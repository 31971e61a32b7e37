import assert from "node:assert/strict";
import { AddressPolicy, parseAllowList, specialRangeOf } from "../../src/core/transport/address-policy";

describe("address policy for URLs a message makes the pack fetch", () => {
  it("names the special ranges and lets public addresses through", () => {
    const cases: [string, string | undefined][] = [
      ["127.0.0.1", "loopback"],
      ["127.255.0.9", "loopback"],
      ["::1", "loopback"],
      ["[::1]", "loopback"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["10.20.30.40", "private"],
      ["172.31.255.255", "private"],
      ["172.32.0.1", undefined],
      ["192.168.1.1", "private"],
      ["169.254.169.254", "link-local"],
      ["fe80::1", "link-local"],
      ["fd12:3456::1", "private"],
      ["100.64.0.1", "shared (carrier-grade NAT)"],
      ["0.0.0.0", "unspecified"],
      ["::", "unspecified"],
      ["224.0.0.1", "multicast"],
      ["8.8.8.8", undefined],
      ["2a03:2880:f12f:83:face:b00c:0:25de", undefined],
      ["not-an-ip", "not an IP address"],
    ];
    for (const [address, kind] of cases) assert.equal(specialRangeOf(address), kind, address);
  });

  it("allows private addresses only for the hosts, addresses and ranges on its list", () => {
    const policy = new AddressPolicy(parseAllowList("files.lan, *.corp.example 10.1.2.0/24\n192.168.5.7 [fd00::5]"));
    assert.equal(policy.refusal("files.lan", "192.168.9.9"), undefined);
    assert.equal(policy.refusal("a.b.corp.example", "10.9.9.9"), undefined);
    assert.equal(policy.refusal("10.1.2.77", "10.1.2.77"), undefined);
    assert.equal(policy.refusal("192.168.5.7", "192.168.5.7"), undefined);
    assert.equal(policy.refusal("fd00::5", "fd00::5"), undefined);
    assert.equal(policy.refusal("example.com", "93.184.215.14"), undefined, "public addresses need no entry");
    assert.match(policy.refusal("corp.example", "10.9.9.9") ?? "", /corp\.example \(10\.9\.9\.9\) is a private address/);
    assert.match(policy.refusal("10.1.3.1", "10.1.3.1") ?? "", /10\.1\.3\.1 is a private address/);
    assert.match(new AddressPolicy().refusal("metadata", "169.254.169.254") ?? "", /link-local/);
  });

  it("refuses a list entry that is not a host, an address or a range", () => {
    for (const entry of ["http://x", "10.0.0.0/33", "::1/129", "a_b", "*.", "x".repeat(300)]) {
      assert.throws(
        () => parseAllowList(entry),
        (error: { code?: string }) => error.code === "config.invalid",
        entry,
      );
    }
    assert.deepEqual(parseAllowList(""), []);
    assert.throws(() => parseAllowList(Array.from({ length: 101 }, (_, i) => `h${i}.lan`).join(",")));
  });
});
