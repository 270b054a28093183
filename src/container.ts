import type { Config } from "./config/config";
import { createDatabase, type Database } from "./core/database/prisma";
import type { Logger } from "./core/logging/logger";
import { createRedis, type Redis } from "./core/redis/redis";
import { AdminService } from "./modules/admin/admin.service";
import { AuditService } from "./modules/audit/audit.service";
import { type AccessRules, createAccessRules } from "./modules/auth/access";
import { AccessTokens } from "./modules/auth/access-token";
import { AuthService } from "./modules/auth/auth.service";
import { Authenticator } from "./modules/auth/authenticator";
import { HashingQueue } from "./modules/auth/hashing-queue";
import { LoginThrottle } from "./modules/auth/login-throttle";
import { PasswordHasher } from "./modules/auth/password-hasher";
import { PasswordPolicy } from "./modules/auth/password-policy";
import { SessionStore } from "./modules/auth/session-store";
import { createHealthService, type HealthService } from "./modules/health/health.service";
import { UsersService } from "./modules/users/users.service";
import { DomainEvents } from "./core/events/domain-events";
import { createMetrics, type Metrics } from "./core/metrics/metrics";
import { ArticlesRepository } from "./modules/articles/articles.repository";
import { ArticlesService } from "./modules/articles/articles.service";
import { MarkdownSafety } from "./modules/articles/markdown-safety";
import { CommentsRepository } from "./modules/comments/comments.repository";
import { CommentsService } from "./modules/comments/comments.service";
import { FavoritesRepository } from "./modules/favorites/favorites.repository";
import { FavoritesService } from "./modules/favorites/favorites.service";
import { IdempotencyRepository } from "./modules/idempotency/idempotency.repository";
import { IdempotencyService } from "./modules/idempotency/idempotency.service";
import { ModerationService } from "./modules/moderation/moderation.service";
import { NotificationsRepository } from "./modules/notifications/notifications.repository";
import { NotificationsService } from "./modules/notifications/notifications.service";
import { ProfilesRepository } from "./modules/profiles/profiles.repository";
import { ProfilesService } from "./modules/profiles/profiles.service";
import { TagsRepository } from "./modules/tags/tags.repository";
import { TagsService } from "./modules/tags/tags.service";

/**
 * The composition root: every long-lived object is made here, once, and
 * handed to what needs it. Nothing else opens connections.
 */
export interface Container {
  config: Config;
  logger: Logger;
  db: Database;
  redis: Redis;
  /** Signs and verifies access tokens. */
  tokens: AccessTokens;
  /** Turns access tokens into principals, checking revocation (REST and socket handshakes). */
  authenticator: Authenticator;
  /** The access rules routes declare (public, optionalAuth, requireAuth, requirePermission). */
  access: AccessRules;
  /** Bounds password hashing (sign-in, registration, password changes): 503 busy when full. */
  hashing: HashingQueue;
  /** Prometheus metrics of this instance. */
  metrics: Metrics;
  /** Changes the services announce after they commit. */
  events: DomainEvents;
  services: {
    health: HealthService;
    auth: AuthService;
    users: UsersService;
    audit: AuditService;
    admin: AdminService;
    profiles: ProfilesService;
    articles: ArticlesService;
    favorites: FavoritesService;
    comments: CommentsService;
    tags: TagsService;
    notifications: NotificationsService;
    moderation: ModerationService;
    idempotency: IdempotencyService;
  };
  /** Closes the database pool, the Redis connection and the worker threads. */
  close(): Promise<void>;
}

export function createContainer(config: Config, logger: Logger): Container {
  const db = createDatabase(config.database, logger);
  const redis = createRedis(config.redis, logger);
  const { auth: authConfig } = config;

  const hashing = new HashingQueue(authConfig.passwordHashing);
  const hasher = new PasswordHasher(authConfig.argon2, hashing);
  const tokens = new AccessTokens({
    secret: authConfig.jwtSecret,
    issuer: authConfig.issuer,
    audience: authConfig.audience,
    ttlSeconds: authConfig.accessTokenTtlSeconds,
  });
  const sessions = new SessionStore(redis, {
    idleTtlSeconds: authConfig.sessionIdleTtlSeconds,
    maxAgeSeconds: authConfig.sessionMaxAgeSeconds,
    reuseGraceSeconds: authConfig.refreshReuseGraceSeconds,
    maxPerUser: authConfig.maxSessionsPerUser,
  });
  const throttle = new LoginThrottle(redis, config.limits.login);
  const authenticator = new Authenticator(tokens, sessions);

  const auth = new AuthService({
    db,
    logger,
    hasher,
    tokens,
    sessions,
    throttle,
    requireCurrentPassword: authConfig.requireCurrentPassword,
  });
  const audit = new AuditService(db);
  const events = new DomainEvents((error, event) =>
    logger.error({ err: error, event: event.type }, "a domain event handler failed"),
  );
  // Two threads leave the event loop a core of its own on a two-core machine.
  const markdown = new MarkdownSafety({
    timeoutMs: config.content.markdownCheckTimeoutMs,
    maxThreads: 2,
  });
  const publishing = createPublishingServices({ db, audit, events, markdown });
  return {
    config,
    logger,
    db,
    redis,
    tokens,
    authenticator,
    access: createAccessRules(authenticator),
    hashing,
    metrics: createMetrics(),
    events,
    services: {
      health: createHealthService({ db, redis, logger }),
      auth,
      users: new UsersService({
        db,
        hasher,
        passwords: new PasswordPolicy({ refuseCommon: authConfig.refuseCommonPasswords }),
        auth,
      }),
      audit,
      admin: new AdminService({ db, audit, auth }),
      ...publishing,
      idempotency: new IdempotencyService({
        keys: new IdempotencyRepository(db),
        logger,
        ttlSeconds: config.idempotency.keyTtlSeconds,
      }),
    },
    async close() {
      // QUIT lets a connected Redis finish what it was sent; one that is away
      // would only hold QUIT in its offline queue, so it is cut instead.
      const closeRedis =
        redis.status === "ready" ? redis.quit() : Promise.resolve(redis.disconnect());
      await Promise.allSettled([db.$disconnect(), closeRedis, markdown.close()]);
    },
  };
}

/** Profiles, articles, favorites, comments, tags, notifications and moderation. */
function createPublishingServices({
  db,
  audit,
  events,
  markdown,
}: {
  db: Database;
  audit: AuditService;
  events: DomainEvents;
  markdown: MarkdownSafety;
}) {
  const moderation = new ModerationService(audit);
  const notifications = new NotificationsService(new NotificationsRepository(db));
  const tags = new TagsService(new TagsRepository(db));
  const articles = new ArticlesService({
    db,
    articles: new ArticlesRepository(db),
    tags,
    moderation,
    markdown,
    events,
  });
  return {
    moderation,
    notifications,
    tags,
    articles,
    profiles: new ProfilesService({
      db,
      profiles: new ProfilesRepository(db),
      notifications,
      events,
    }),
    favorites: new FavoritesService({
      db,
      favorites: new FavoritesRepository(db),
      articles,
      notifications,
      events,
    }),
    comments: new CommentsService({
      db,
      comments: new CommentsRepository(db),
      articles,
      notifications,
      moderation,
      events,
    }),
  };
}
