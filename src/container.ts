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
import { LoginThrottle } from "./modules/auth/login-throttle";
import { PasswordHasher } from "./modules/auth/password-hasher";
import { SessionStore } from "./modules/auth/session-store";
import { createHealthService, type HealthService } from "./modules/health/health.service";
import { UsersService } from "./modules/users/users.service";

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
  /** The access rules routes declare (public, optionalAuth, requireAuth, requirePermission). */
  access: AccessRules;
  services: {
    health: HealthService;
    auth: AuthService;
    users: UsersService;
    audit: AuditService;
    admin: AdminService;
  };
  /** Closes the database pool and the Redis connection. */
  close(): Promise<void>;
}

export function createContainer(config: Config, logger: Logger): Container {
  const db = createDatabase(config.database);
  const redis = createRedis(config.redis, logger);
  const { auth: authConfig } = config;

  const hasher = new PasswordHasher(authConfig.argon2);
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

  const auth = new AuthService({ db, logger, hasher, tokens, sessions, throttle });
  const audit = new AuditService(db);
  return {
    config,
    logger,
    db,
    redis,
    tokens,
    access: createAccessRules(authenticator),
    services: {
      health: createHealthService({ db, redis }),
      auth,
      users: new UsersService({ db, hasher, auth }),
      audit,
      admin: new AdminService({ db, audit, auth }),
    },
    async close() {
      // QUIT lets a connected Redis finish what it was sent; one that is away
      // would only hold QUIT in its offline queue, so it is cut instead.
      const closeRedis =
        redis.status === "ready" ? redis.quit() : Promise.resolve(redis.disconnect());
      await Promise.allSettled([db.$disconnect(), closeRedis]);
    },
  };
}
