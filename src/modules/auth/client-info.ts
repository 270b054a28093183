import type { Request } from "express";
import ipaddr from "ipaddr.js";
import type { ClientInfo } from "./session-store";

const USER_AGENT_MAX = 256;

/** What a session remembers about the client that opened it, for the sessions list. */
export function clientInfoOf(req: Request): ClientInfo {
  return {
    ip: req.ip ?? null,
    userAgent: req.get("user-agent")?.slice(0, USER_AGENT_MAX) || null,
  };
}

/**
 * The key per-IP limits count under. One IPv6 host usually holds a whole /64
 * and can change address at will, so IPv6 counts by its /64; an IPv4 address
 * written as IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
 */
export function ipLimitKey(ip: string | null | undefined): string {
  if (ip === null || ip === undefined || !ipaddr.isValid(ip)) return "unknown";
  const address = ipaddr.process(ip);
  if (address.kind() === "ipv4") return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${prefix.map((part) => part.toString(16)).join(":")}::/64`;
}
