import { parse } from "cookie";
import type { Request, Response } from "express";

export interface RefreshCookieSettings {
  sameSite: "strict" | "lax" | "none";
  maxAgeSeconds: number;
}

/** `__Secure-` makes browsers refuse the cookie unless it is Secure and came over HTTPS. */
const COOKIE_NAME = "__Secure-conduit-refresh";
/** Sent only to the endpoints that use it: refresh and the logouts. */
const COOKIE_PATH = "/api/users";

/**
 * The refresh token as an httpOnly, Secure, SameSite cookie, for browser
 * front ends that would rather not hold it in script. Off unless configured;
 * the token is always in the body as well.
 */
export class RefreshCookie {
  constructor(private readonly settings: RefreshCookieSettings | undefined) {}

  set(res: Response, refreshToken: string): void {
    if (this.settings === undefined) return;
    res.cookie(COOKIE_NAME, refreshToken, {
      httpOnly: true,
      secure: true,
      sameSite: this.settings.sameSite,
      path: COOKIE_PATH,
      maxAge: this.settings.maxAgeSeconds * 1000,
    });
  }

  clear(res: Response): void {
    if (this.settings === undefined) return;
    res.clearCookie(COOKIE_NAME, {
      httpOnly: true,
      secure: true,
      sameSite: this.settings.sameSite,
      path: COOKIE_PATH,
    });
  }

  read(req: Request): string | undefined {
    if (this.settings === undefined) return undefined;
    const header = req.get("cookie");
    return header === undefined ? undefined : parse(header)[COOKIE_NAME];
  }
}
