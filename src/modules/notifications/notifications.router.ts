import { Router } from "express";
import { respond } from "../../core/http/respond";
import { parseInput } from "../../core/http/validate";
import { type AccessRules, requirePrincipal } from "../auth/access";
import { notificationView } from "./notification.mapper";
import { markReadBody, notificationListQuery } from "./notifications.schemas";
import type { NotificationsService } from "./notifications.service";

interface NotificationsRouterDeps {
  notifications: NotificationsService;
  access: AccessRules;
  maxPageSize: number;
}

/** The signed-in user's notifications. */
export function notificationsRouter({
  notifications,
  access,
  maxPageSize,
}: NotificationsRouterDeps): Router {
  const router = Router();
  const listQuery = notificationListQuery(maxPageSize);

  router.get("/notifications", access.requireAuth, async (req, res) => {
    const { limit, cursor } = parseInput(listQuery, req.query);
    const page = await notifications.list(requirePrincipal(req).userId, { limit, cursor });
    respond.ok(res, { ...page, notifications: page.notifications.map(notificationView) });
  });

  router.post("/notifications/read", access.requireAuth, async (req, res) => {
    const { ids } = parseInput(markReadBody, req.body);
    respond.ok(res, await notifications.markRead(requirePrincipal(req).userId, ids ?? "all"));
  });

  return router;
}
