import type { Request } from "express";
import type { ClientInfo } from "./session-store";

const USER_AGENT_MAX = 256;

/** What a session remembers about the client that opened it, for the sessions list. */
export function clientInfoOf(req: Request): ClientInfo {
  return {
    ip: req.ip ?? null,
    userAgent: req.get("user-agent")?.slice(0, USER_AGENT_MAX) || null,
  };
}
