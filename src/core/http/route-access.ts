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
  route?: {
    path: string;
    methods: Record<string, boolean>;
    stack: { handle: unknown; method?: string }[];
  };
  handle: { stack?: Layer[]; name?: string };
}

/** Every route the app serves, with its full path and declared access rule. */
export function listRoutes(app: Express): RouteDescription[] {
  const root = (app as unknown as { router: { stack: Layer[] } }).router;
  return collect(root.stack, "");
}

function collect(stack: Layer[], prefix: string): RouteDescription[] {
  return stack.flatMap((layer): RouteDescription[] => {
    const { route } = layer;
    if (route) {
      const path = prefix + route.path;
      // One route can serve several methods, each with its own chain (app.route("/x").get(…).post(…)).
      return Object.keys(route.methods)
        .filter((method) => method !== "_all")
        .map((method) => ({
          method: method.toUpperCase(),
          path,
          access: ruleOf(route.stack.find((entry) => entry.method === method)?.handle),
        }));
    }
    const mountPath = layer.rawPath === undefined || layer.rawPath === "/" ? "" : layer.rawPath;
    if (layer.handle.stack) return collect(layer.handle.stack, prefix + mountPath);
    // A mounted Express app hides its routes from the parent; mount Routers instead.
    if (layer.handle.name === "mounted_app") {
      return [{ method: "USE", path: `${prefix}${mountPath}/*`, access: undefined }];
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
