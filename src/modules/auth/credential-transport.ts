import { parse } from "cookie";
import type { Request, Response } from "express";
import { respond } from "../../core/http/respond";
import { userBody } from "../users/user.mapper";
import type { SignedIn } from "./auth.service";

export interface RefreshCookieSettings {
  sameSite: "strict" | "lax" | "none";
  maxAgeSeconds: number;
}

/** `__Secure-` makes browsers refuse the cookie unless it is Secure and came over HTTPS. */
const COOKIE_NAME = "__Secure-conduit-refresh";
/** Sent only to the endpoints that use it: refresh and the logouts. */
const COOKIE_PATH = "/api/users";

/**
 * How credentials travel: both tokens in the response body and, when
 * configured, the refresh token also as an httpOnly, Secure, SameSite cookie
 * for browser front ends that would rather not hold it in script.
 */
export class CredentialTransport {
  constructor(private readonly cookie: RefreshCookieSettings | undefined) {}

  private setCookie(res: Response, refreshToken: string): void {
    if (this.cookie === undefined) return;
    res.cookie(COOKIE_NAME, refreshToken, {
      httpOnly: true,
      secure: true,
      sameSite: this.cookie.sameSite,
      path: COOKIE_PATH,
      maxAge: this.cookie.maxAgeSeconds * 1000,
    });
  }

  clearCookie(res: Response): void {
    if (this.cookie === undefined) return;
    res.clearCookie(COOKIE_NAME, {
      httpOnly: true,
      secure: true,
      sameSite: this.cookie.sameSite,
      path: COOKIE_PATH,
    });
  }

  /**
   * Answers a sign-in, registration or refresh: the user with both tokens, the
   * cookie when configured, and no-store so no cache keeps the tokens.
   */
  sendSignedIn(res: Response, signedIn: SignedIn, status: "ok" | "created" = "ok"): void {
    this.setCookie(res, signedIn.refreshToken);
    res.setHeader("Cache-Control", "no-store");
    respond[status](res, userBody(signedIn.user, signedIn.accessToken, signedIn.refreshToken));
  }

  /** The refresh token from the cookie, when the cookie is configured and sent. */
  refreshTokenFromCookie(req: Request): string | undefined {
    if (this.cookie === undefined) return undefined;
    const header = req.get("cookie");
    return header === undefined ? undefined : parse(header)[COOKIE_NAME];
  }
}
