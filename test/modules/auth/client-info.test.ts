import { ipLimitKey } from "../../../src/modules/auth/client-info";

describe("ipLimitKey", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    [undefined, "unknown"],
    ["not an address", "unknown"],
  ])("when the address is %p, then limits count it under %p", (ip, key) => {
    expect(ipLimitKey(ip)).toBe(key);
  });
});
