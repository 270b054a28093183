import { type RequestHandler, Router } from "express";
import { UnauthenticatedError } from "../../core/errors/app-error";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, requirePrincipal } from "./access";
import { loginBody, refreshBody, sessionIdParams } from "./auth.schemas";
import type { AuthService, SessionView } from "./auth.service";
import { clientInfoOf } from "./client-info";
import type { CredentialTransport } from "./credential-transport";

interface AuthRouterDeps {
  auth: AuthService;
  access: AccessRules;
  credentials: CredentialTransport;
  refreshLimit: RequestHandler;
}

/** Sign-in, token refresh, sign-out and the user's list of sessions. */
export function authRouter({ auth, access, credentials, refreshLimit }: AuthRouterDeps): Router {
  const router = Router();

  router.post("/users/login", access.public, async (req, res) => {
    const { user } = parseInput(loginBody, req.body);
    credentials.sendSignedIn(res, await auth.login(user, clientInfoOf(req)));
  });

  router.post("/users/refresh", access.public, refreshLimit, async (req, res) => {
    const body = parseInput(refreshBody, req.body);
    const presented = body.refreshToken ?? credentials.refreshTokenFromCookie(req);
    if (presented === undefined) throw new UnauthenticatedError("refreshToken", "is missing");
    credentials.sendSignedIn(res, await auth.refresh(presented));
  });

  router.post("/users/logout", access.requireAuth, async (req, res) => {
    await auth.logout(requirePrincipal(req));
    credentials.clearCookie(res);
    respond.noContent(res);
  });

  router.post("/users/logout-all", access.requireAuth, async (req, res) => {
    await auth.endSessions(requirePrincipal(req).userId);
    credentials.clearCookie(res);
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
