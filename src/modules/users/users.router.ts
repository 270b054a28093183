import { type Request, type RequestHandler, type Response, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, requirePrincipal } from "../auth/access";
import { clientInfoOf } from "../auth/client-info";
import type { CredentialTransport } from "../auth/credential-transport";
import type { User } from "../../generated/prisma/client";
import { userBody } from "./user.mapper";
import { registerBody, updateUserBody } from "./users.schemas";
import type { SensitiveChange, UsersService } from "./users.service";

interface UsersRouterDeps {
  users: UsersService;
  access: AccessRules;
  credentials: CredentialTransport;
  registrationLimit: RequestHandler;
  /** Per-user limits on changes of the password and of the email, counted only when one changes. */
  changeLimits: Record<SensitiveChange, RequestHandler>;
}

/** RealWorld's registration and current-user endpoints. */
export function usersRouter({
  users,
  access,
  credentials,
  registrationLimit,
  changeLimits,
}: UsersRouterDeps): Router {
  const router = Router();

  router.post("/users", access.public, registrationLimit, async (req, res) => {
    const { user } = parseInput(registerBody, req.body);
    credentials.sendSignedIn(res, await users.register(user, clientInfoOf(req)), "created");
  });

  router.get("/user", access.requireAuth, async (req, res) => {
    const principal = requirePrincipal(req);
    sendUser(res, await users.current(principal), principal.token);
  });

  router.put("/user", access.requireAuth, async (req, res) => {
    const principal = requirePrincipal(req);
    const { user } = parseInput(updateUserBody, req.body);
    const updated = await users.update(principal, user, {
      client: clientInfoOf(req),
      countChange: (change) => applyLimit(changeLimits[change], req, res),
    });
    sendUser(res, updated, principal.token);
  });

  return router;
}

/** The user body echoes the access token, so no cache may keep it. */
function sendUser(res: Response, user: User, token: string): void {
  res.setHeader("Cache-Control", "no-store");
  respond.ok(res, userBody(user, token));
}

/**
 * Runs a rate-limit middleware from inside a handler, for a limit that only
 * the service can tell applies: it sets its headers and goes on, or throws its
 * 429 (rateLimit's handlers throw rather than pass errors to `next`).
 */
async function applyLimit(limit: RequestHandler, req: Request, res: Response): Promise<void> {
  await limit(req, res, () => undefined);
}
