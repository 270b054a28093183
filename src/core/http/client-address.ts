import type { IncomingMessage } from "node:http";
import proxyAddr from "proxy-addr";

/**
 * The client's address for requests Express does not handle (socket
 * handshakes), read exactly as Express reads `req.ip` under the same
 * `trust proxy` setting: true, false, a hop count, or addresses and subnets.
 */
export function clientAddressOf(
  trustProxy: boolean | number | string,
): (req: IncomingMessage) => string {
  const trust = compileTrust(trustProxy);
  return (req) => proxyAddr(req, trust);
}

function compileTrust(
  setting: boolean | number | string,
): (address: string, hop: number) => boolean {
  if (typeof setting === "boolean") return () => setting;
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting.split(",").map((item) => item.trim()));
}
