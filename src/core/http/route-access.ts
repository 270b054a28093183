import type { Express, RequestHandler } from "express";

/**
 * Every route states who may call it, as the first handler in its chain: an
 * access middleware made by `declareAccess`. `assertEveryRouteDeclaresAccess`
 * walks the finished app and refuses to start it if any route forgot.
 */
const ACCESS_RULE = Symbol("accessRule");

export type AccessMiddleware = RequestHandler & { readonly [ACCESS_RULE]: string };

export function declareAccess(rule: string, handler: RequestHandler): AccessMiddleware {
  return Object.assign(handler, { [ACCESS_RULE]: rule });
}

/** Anyone may call the route, with or without credentials. */
export const publicAccess = declareAccess("public", (_req, _res, next) => next());

export interface RouteDescription {
  method: string;
  path: string;
  /** The declared rule, or undefined when the route has none. */
  access: string | undefined;
}

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
  handle: { stack?: Layer[] };
}

/** Every route the app serves, with its full path and declared access rule. */
export function listRoutes(app: Express): RouteDescription[] {
  const root = (app as unknown as { router: { stack: Layer[] } }).router;
  return collect(root.stack, "");
}

function collect(stack: Layer[], prefix: string): RouteDescription[] {
  return stack.flatMap((layer): RouteDescription[] => {
    if (layer.route) {
      const path = prefix + layer.route.path;
      const access = ruleOf(layer.route.stack[0]?.handle);
      return Object.keys(layer.route.methods)
        .filter((method) => method !== "_all")
        .map((method) => ({ method: method.toUpperCase(), path, access }));
    }
    if (layer.handle.stack) {
      const mountPath = layer.rawPath === undefined || layer.rawPath === "/" ? "" : layer.rawPath;
      return collect(layer.handle.stack, prefix + mountPath);
    }
    return [];
  });
}

function ruleOf(handler: unknown): string | undefined {
  if (typeof handler !== "function") return undefined;
  return (handler as Partial<AccessMiddleware>)[ACCESS_RULE];
}

export function assertEveryRouteDeclaresAccess(app: Express): void {
  const undeclared = listRoutes(app).filter((route) => route.access === undefined);
  if (undeclared.length > 0) {
    const names = undeclared.map((route) => `${route.method} ${route.path}`).join(", ");
    throw new Error(`Routes without an access rule (declare one as their first handler): ${names}`);
  }
}
