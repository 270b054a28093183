import { type RequestHandler, type Response, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, requirePrincipal } from "../auth/access";
import { clientInfoOf } from "../auth/client-info";
import type { CredentialTransport } from "../auth/credential-transport";
import type { User } from "../../generated/prisma/client";
import { userBody } from "./user.mapper";
import { registerBody, updateUserBody } from "./users.schemas";
import type { UsersService } from "./users.service";

interface UsersRouterDeps {
  users: UsersService;
  access: AccessRules;
  credentials: CredentialTransport;
  registrationLimit: RequestHandler;
}

/** RealWorld's registration and current-user endpoints. */
export function usersRouter({
  users,
  access,
  credentials,
  registrationLimit,
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
    sendUser(res, await users.update(principal, user), principal.token);
  });

  return router;
}

/** The user body echoes the access token, so no cache may keep it. */
function sendUser(res: Response, user: User, token: string): void {
  res.setHeader("Cache-Control", "no-store");
  respond.ok(res, userBody(user, token));
}
