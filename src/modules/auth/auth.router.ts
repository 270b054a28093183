import { Router } from "express";
import { UnauthenticatedError } from "../../core/errors/app-error";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import type { RequestHandler } from "express";
import { userBody } from "../users/user.mapper";
import { type AccessRules, requirePrincipal } from "./access";
import { loginBody, refreshBody, sessionIdParams } from "./auth.schemas";
import type { AuthService, SessionView } from "./auth.service";
import { clientInfoOf } from "./client-info";
import type { RefreshCookie } from "./refresh-cookie";

interface AuthRouterDeps {
  auth: AuthService;
  access: AccessRules;
  refreshCookie: RefreshCookie;
  refreshLimit: RequestHandler;
}

/** Sign-in, token refresh, sign-out and the user's list of sessions. */
export function authRouter({ auth, access, refreshCookie, refreshLimit }: AuthRouterDeps): Router {
  const router = Router();

  router.post("/users/login", access.public, async (req, res) => {
    const { user } = parseInput(loginBody, req.body);
    const signedIn = await auth.login(user, clientInfoOf(req));
    refreshCookie.set(res, signedIn.refreshToken);
    respond.ok(res, userBody(signedIn.user, signedIn.accessToken, signedIn.refreshToken));
  });

  router.post("/users/refresh", access.public, refreshLimit, async (req, res) => {
    const body = parseInput(refreshBody, req.body ?? {});
    const presented = body.refreshToken ?? refreshCookie.read(req);
    if (presented === undefined) throw new UnauthenticatedError("refreshToken", "is missing");
    const signedIn = await auth.refresh(presented);
    refreshCookie.set(res, signedIn.refreshToken);
    respond.ok(res, userBody(signedIn.user, signedIn.accessToken, signedIn.refreshToken));
  });

  router.post("/users/logout", access.requireAuth, async (req, res) => {
    await auth.logout(requirePrincipal(req));
    refreshCookie.clear(res);
    respond.noContent(res);
  });

  router.post("/users/logout-all", access.requireAuth, async (req, res) => {
    await auth.endSessions(requirePrincipal(req).userId);
    refreshCookie.clear(res);
    respond.noContent(res);
  });

  router.get("/user/sessions", access.requireAuth, async (req, res) => {
    const sessions = await auth.listSessions(requirePrincipal(req));
    respond.ok(res, { sessions: sessions.map(sessionBody) });
  });

  router.delete("/user/sessions/:id", access.requireAuth, async (req, res) => {
    const { id } = parseInput(sessionIdParams, req.params);
    await auth.endSession(requirePrincipal(req), id);
    respond.noContent(res);
  });

  return router;
}

function sessionBody(session: SessionView) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.current,
  };
}
