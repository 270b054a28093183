import type { Request, Response } from "express";
import { ForbiddenError, UnauthenticatedError } from "../../core/errors/app-error";
import { type AccessMiddleware, declareAccess, publicAccess } from "../../core/http/route-access";
import { AuthenticationError, type Authenticator, type Principal } from "./authenticator";
import { type Actor, hasPermission, type Permission } from "./permissions";
import { challengeFor, unusableToken } from "./token-problems";

const principals = new WeakMap<Request, Principal>();

/** The caller, when the route's access rule established one. */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

/** The caller on a route declared with requireAuth or requirePermission. */
export function requirePrincipal(req: Request): Principal {
  const principal = principals.get(req);
  if (principal === undefined) {
    throw new Error(
      "requirePrincipal on a route whose access rule is not requireAuth or requirePermission",
    );
  }
  return principal;
}

/** The caller as the permission checks see them, on a route that requires authentication. */
export function actorOf(req: Request): Actor {
  const { userId, role } = requirePrincipal(req);
  return { id: userId, role };
}

/** The access rules a route can declare; each is its route's first handler. */
export interface AccessRules {
  /** Anyone. */
  public: AccessMiddleware;
  /**
   * Anyone; a valid token personalises the answer. A bad or expired token is
   * treated as none (with a WWW-Authenticate hint), so a front end holding a
   * stale token can still show public pages.
   */
  optionalAuth: AccessMiddleware;
  /** A valid, unrevoked access token. */
  requireAuth: AccessMiddleware;
  /** A valid token whose role holds the permission. */
  requirePermission(permission: Permission): AccessMiddleware;
}

export function createAccessRules(authenticator: Authenticator): AccessRules {
  async function authenticate(req: Request): Promise<Principal> {
    let principal: Principal | undefined;
    try {
      principal = await authenticator.fromRequest(req);
    } catch (error) {
      if (error instanceof AuthenticationError) throw unusableToken(error.problem);
      throw error;
    }
    if (principal === undefined) throw new UnauthenticatedError();
    principals.set(req, principal);
    return principal;
  }

  return {
    public: publicAccess,

    optionalAuth: declareAccess("optional", async (req: Request, res: Response, next) => {
      try {
        const principal = await authenticator.fromRequest(req);
        if (principal !== undefined) principals.set(req, principal);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        res.setHeader("WWW-Authenticate", challengeFor(error.problem));
      }
      next();
    }),

    requireAuth: declareAccess("authenticated", async (req, _res, next) => {
      await authenticate(req);
      next();
    }),

    requirePermission(permission: Permission) {
      return declareAccess(`permission:${permission}`, async (req, _res, next) => {
        const principal = await authenticate(req);
        if (!hasPermission(principal.role, permission)) {
          throw new ForbiddenError(permission.split(":")[0]!);
        }
        next();
      });
    },
  };
}
