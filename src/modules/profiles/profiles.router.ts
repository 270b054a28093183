import { type RequestHandler, Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, principalOf, requirePrincipal } from "../auth/access";
import { profileView } from "./profile.mapper";
import { usernameParams } from "./profiles.schemas";
import type { ProfilesService } from "./profiles.service";

interface ProfilesRouterDeps {
  profiles: ProfilesService;
  access: AccessRules;
  followLimit: RequestHandler;
}

/** RealWorld's profiles and follow/unfollow. */
export function profilesRouter({ profiles, access, followLimit }: ProfilesRouterDeps): Router {
  const router = Router();
  const follow = access.requirePermission("profile:follow");

  router.get("/profiles/:username", access.optionalAuth, async (req, res) => {
    const { username } = parseInput(usernameParams, req.params);
    const profile = await profiles.get(username, principalOf(req)?.userId);
    respond.ok(res, { profile: profileView(profile) });
  });

  router.post("/profiles/:username/follow", follow, followLimit, async (req, res) => {
    const { username } = parseInput(usernameParams, req.params);
    const profile = await profiles.follow(requirePrincipal(req).userId, username);
    respond.ok(res, { profile: profileView(profile) });
  });

  router.delete("/profiles/:username/follow", follow, followLimit, async (req, res) => {
    const { username } = parseInput(usernameParams, req.params);
    const profile = await profiles.unfollow(requirePrincipal(req).userId, username);
    respond.ok(res, { profile: profileView(profile) });
  });

  return router;
}
