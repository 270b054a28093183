import { parse } from "cookie";
import type { Request, RequestHandler, Response } from "express";
import { UnsupportedMediaTypeError } from "../../core/errors/app-error";
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
 * Every answer to a request that carries credentials (an Authorization header
 * or the refresh cookie) is `Cache-Control: no-store`, errors included: what
 * it says is the caller's alone, and no browser or proxy cache may keep it.
 * Set first, so every later handler and the error responder answer with it;
 * anonymous requests are left to their routes.
 */
export const noStoreWhenCredentialed: RequestHandler = (req, res, next) => {
  const cookies = req.get("cookie");
  if (
    (req.get("authorization") ?? "").trim() !== "" ||
    (cookies !== undefined && parse(cookies)[COOKIE_NAME] !== undefined)
  ) {
    res.setHeader("Cache-Control", "no-store");
  }
  next();
};

/**
 * How credentials travel. By default both tokens are in the response body.
 * With the cookie configured, the refresh token travels only as an httpOnly,
 * Secure, SameSite cookie: a copy in the body would hand it back to the very
 * scripts the cookie keeps it from.
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
    const bodyRefreshToken = this.cookie === undefined ? signedIn.refreshToken : undefined;
    respond[status](res, userBody(signedIn.user, signedIn.accessToken, bodyRefreshToken));
  }

  /**
   * The refresh token from the cookie, when the cookie is configured and sent.
   * A browser attaches the cookie to any site's form post, so the request must
   * also say it is JSON: a cross-origin JSON request needs a CORS preflight,
   * which only the allowed origins pass.
   */
  refreshTokenFromCookie(req: Request): string | undefined {
    if (this.cookie === undefined) return undefined;
    const header = req.get("cookie");
    const token = header === undefined ? undefined : parse(header)[COOKIE_NAME];
    if (token !== undefined && !/^application\/json\s*(;|$)/i.test(req.get("content-type") ?? "")) {
      throw new UnsupportedMediaTypeError(
        "must be sent as application/json when the refresh token is in the cookie",
      );
    }
    return token;
  }
}
