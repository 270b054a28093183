import { type RequestHandler, Router } from "express";
import { UnauthenticatedError } from "../../core/errors/app-error";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, requirePrincipal } from "./access";
import { endSessionsBody, loginBody, refreshBody, sessionIdParams } from "./auth.schemas";
import type { AuthService, SessionView } from "./auth.service";
import { clientInfoOf } from "./client-info";
import type { CredentialTransport } from "./credential-transport";

interface AuthRouterDeps {
  auth: AuthService;
  access: AccessRules;
  credentials: CredentialTransport;
  refreshLimit: RequestHandler;
  /** Sign-ins per client address; one refused for wrong credentials gives its point back. */
  signInLimit: RequestHandler;
}

/** Sign-in, token refresh, sign-out and the user's list of sessions. */
export function authRouter({
  auth,
  access,
  credentials,
  refreshLimit,
  signInLimit,
}: AuthRouterDeps): Router {
  const router = Router();

  router.post("/users/login", access.public, signInLimit, async (req, res) => {
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
    const { currentPassword } = parseInput(endSessionsBody, req.body);
    await auth.signOutEverywhere(requirePrincipal(req), {
      currentPassword,
      client: clientInfoOf(req),
    });
    credentials.clearCookie(res);
    respond.noContent(res);
  });

  router.get("/user/sessions", access.requireAuth, async (req, res) => {
    const sessions = await auth.listSessions(requirePrincipal(req));
    respond.ok(res, { sessions: sessions.map(sessionBody) });
  });

  router.delete("/user/sessions/:id", access.requireAuth, async (req, res) => {
    const { id } = parseInput(sessionIdParams, req.params);
    const { currentPassword } = parseInput(endSessionsBody, req.body);
    await auth.endSession(requirePrincipal(req), id, {
      currentPassword,
      client: clientInfoOf(req),
    });
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
