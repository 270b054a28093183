import express, { type Express } from "express";
import { pinoHttp } from "pino-http";
import type { Container } from "./container";
import { errorResponder, unknownRoute } from "./core/http/error-middleware";
import { jsonBody } from "./core/http/json-body";
import { answerUnsupportedMethods } from "./core/http/method-not-allowed";
import { REQUEST_ID_HEADER, requestId } from "./core/http/request-id";
import { corsPolicy, securityHeaders } from "./core/http/security";
import { loggableUrl } from "./core/logging/logger";
import { rateLimit } from "./core/http/rate-limit";
import { assertEveryRouteDeclaresAccess } from "./core/http/route-access";
import { adminRouter } from "./modules/admin/admin.router";
import { authRouter } from "./modules/auth/auth.router";
import { ipLimitKey } from "./modules/auth/client-info";
import { CredentialTransport } from "./modules/auth/credential-transport";
import { healthRouter } from "./modules/health/health.router";
import { metricsRouter } from "./modules/metrics/metrics.router";
import { docsRouter } from "./modules/docs/docs.router";
import { usersRouter } from "./modules/users/users.router";
import { requirePrincipal } from "./modules/auth/access";
import { articlesRouter } from "./modules/articles/articles.router";
import { commentsRouter } from "./modules/comments/comments.router";
import { favoritesRouter } from "./modules/favorites/favorites.router";
import { notificationsRouter } from "./modules/notifications/notifications.router";
import { profilesRouter } from "./modules/profiles/profiles.router";
import { tagsRouter } from "./modules/tags/tags.router";

/**
 * Builds the HTTP application without listening, so tests and the server share
 * it. Refuses to build if any route lacks an access rule.
 */
export function buildApp(container: Container): Express {
  const { config, logger, services } = container;
  const app = express();

  app.disable("x-powered-by");
  app.set("trust proxy", config.http.trustProxy);

  app.use(requestId);
  app.use(
    pinoHttp({
      logger,
      // The requestId middleware has already chosen the id and set the header.
      genReqId: (_req, res) => String(res.getHeader(REQUEST_ID_HEADER)),
      customLogLevel: (_req, res, error) =>
        error !== undefined || res.statusCode >= 500 ? "error" : "info",
      serializers: {
        req: (req: { method: string; url: string; remoteAddress?: string }) => ({
          method: req.method,
          url: loggableUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(securityHeaders());
  app.use(corsPolicy(config.http.corsOrigins));
  app.use(jsonBody(config.http.jsonBodyLimit));

  app.use(healthRouter(services.health));
  app.use(metricsRouter(container.metrics, config.metrics));
  app.use(docsRouter({ maxPageSize: config.http.maxPageSize }));
  app.use("/api", apiRouter(container));

  answerUnsupportedMethods(app);
  app.use(unknownRoute);
  app.use(errorResponder(logger));
  assertEveryRouteDeclaresAccess(app);
  return app;
}

function apiRouter({ config, redis, services, access }: Container): express.Router {
  const router = express.Router();
  const byIp = (req: express.Request) => ipLimitKey(req.ip);
  const credentials = new CredentialTransport(
    config.auth.refreshCookie && {
      ...config.auth.refreshCookie,
      maxAgeSeconds: config.auth.sessionMaxAgeSeconds,
    },
  );
  const { limits } = config;

  router.use(
    usersRouter({
      users: services.users,
      access,
      credentials,
      registrationLimit: rateLimit(
        redis,
        {
          name: "register",
          points: limits.registrationsPerIpPerHour,
          durationSeconds: 3_600,
          // Accounts made, and collisions (which tell that an email exists), count;
          // a form refused for its contents does not.
          refundStatus: 422,
        },
        byIp,
      ),
    }),
  );
  router.use(
    authRouter({
      auth: services.auth,
      access,
      credentials,
      refreshLimit: rateLimit(
        redis,
        { name: "refresh", points: limits.refreshesPerIpPerMinute, durationSeconds: 60 },
        byIp,
      ),
    }),
  );
  router.use(
    adminRouter({
      admin: services.admin,
      audit: services.audit,
      access,
      maxPageSize: config.http.maxPageSize,
    }),
  );

  const { writesPerUser } = limits;
  const byUser = (req: express.Request) => `user:${requirePrincipal(req).userId}`;
  const perUser = (name: string, points: number, durationSeconds: number) =>
    rateLimit(redis, { name, points, durationSeconds }, byUser);
  const maxPageSize = config.http.maxPageSize;

  router.use(
    profilesRouter({
      profiles: services.profiles,
      access,
      followLimit: perUser("follow", writesPerUser.followsPerMinute, 60),
    }),
  );
  router.use(
    articlesRouter({
      articles: services.articles,
      access,
      maxPageSize,
      writeLimit: perUser("article-write", writesPerUser.articlesPerHour, 3_600),
    }),
  );
  router.use(
    favoritesRouter({
      favorites: services.favorites,
      access,
      favoriteLimit: perUser("favorite", writesPerUser.favoritesPerMinute, 60),
    }),
  );
  router.use(
    commentsRouter({
      comments: services.comments,
      access,
      commentLimit: perUser("comment", writesPerUser.commentsPerMinute, 60),
    }),
  );
  router.use(tagsRouter({ tags: services.tags, access }));
  router.use(notificationsRouter({ notifications: services.notifications, access, maxPageSize }));
  return router;
}
