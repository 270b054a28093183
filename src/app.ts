import express, { type Express } from "express";
import { pinoHttp } from "pino-http";
import type { Container } from "./container";
import { errorResponder, isLoggedAsFailure, unknownRoute } from "./core/http/error-middleware";
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
import { CredentialTransport, noStoreWhenCredentialed } from "./modules/auth/credential-transport";
import { healthRouter } from "./modules/health/health.router";
import { idempotentWrites } from "./modules/idempotency/idempotency.middleware";
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
      // One line per request: a server error's line is errorResponder's, with the error.
      customLogLevel: (_req, res, error) => {
        if (isLoggedAsFailure(res)) return "silent";
        return error !== undefined || res.statusCode >= 500 ? "error" : "info";
      },
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
  app.use(noStoreWhenCredentialed);
  app.use(corsPolicy(config.http.corsOrigins));
  app.use(jsonBody(config.http.jsonBodyLimit));

  app.use(healthRouter(services.health));
  app.use(metricsRouter(container.metrics, config.metrics));
  if (config.docs.enabled) app.use(docsRouter({ maxPageSize: config.http.maxPageSize }));
  app.use("/api", apiRouter(container));

  answerUnsupportedMethods(app);
  app.use(unknownRoute);
  app.use(errorResponder(logger));
  assertEveryRouteDeclaresAccess(app);
  return app;
}

function apiRouter({ config, redis, services, access, authenticator }: Container): express.Router {
  const router = express.Router();
  const byIp = (req: express.Request) => ipLimitKey(req.ip);
  const byUser = (req: express.Request) => `user:${requirePrincipal(req).userId}`;
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
          refundStatuses: [422, 503],
        },
        byIp,
      ),
      // Counted only when the field changes; a change refused for what it sent gives its point back.
      changeLimits: {
        password: rateLimit(
          redis,
          {
            name: "password-change",
            points: limits.passwordChangesPerUserPerHour,
            durationSeconds: 3_600,
            refundStatuses: [422, 503],
          },
          byUser,
        ),
        email: rateLimit(
          redis,
          {
            name: "email-change",
            points: limits.emailChangesPerUserPerHour,
            durationSeconds: 3_600,
            refundStatuses: [422, 503],
          },
          byUser,
        ),
      },
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
      // ASVS 2.4.1: sign-ins count per address; wrong credentials give their point back
      // (the sign-in lockout counts those).
      signInLimit: rateLimit(
        redis,
        {
          name: "sign-in",
          points: limits.signInsPerIpPerHour,
          durationSeconds: 3_600,
          refundStatuses: [401, 503],
        },
        byIp,
      ),
    }),
  );
  // After the account routes, whose answers carry credentials and are never kept (ADR 0023).
  router.use(idempotentWrites({ idempotency: services.idempotency, authenticator }));
  router.use(
    adminRouter({
      admin: services.admin,
      audit: services.audit,
      access,
      maxPageSize: config.http.maxPageSize,
    }),
  );

  const { writesPerUser } = limits;
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
