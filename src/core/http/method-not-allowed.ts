import type { Express, RequestHandler } from "express";
import { MethodNotAllowedError } from "../errors/app-error";
import { listRoutes } from "./route-access";

/** Express answers HEAD with a GET route, and every OPTIONS is a CORS preflight answered earlier. */
function methodsOf(declared: Iterable<string>): string[] {
  const methods = new Set(declared);
  if (methods.has("GET")) methods.add("HEAD");
  methods.add("OPTIONS");
  const order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  return [...methods].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

const ALLOWED = "allowedMethods";

/**
 * A request for a path the app serves, with a method it does not serve there,
 * is a 405 naming the methods it does (in `Allow`), not a 404. Call it after
 * every route is added: each path gets a catch-all that notes its methods, so
 * Express's own matching (case, trailing slash, parameters) decides which
 * paths a request is for.
 */
export function answerUnsupportedMethods(app: Express): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of listRoutes(app)) {
    if (route.method === "USE") continue;
    const methods = methodsByPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    methodsByPath.set(route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const noteMethods: RequestHandler = (_req, res, next) => {
      const allowed = (res.locals[ALLOWED] ??= new Set<string>()) as Set<string>;
      for (const method of methods) allowed.add(method);
      next();
    };
    app.route(path).all(noteMethods);
  }
  app.use((_req, res, next) => {
    const allowed = res.locals[ALLOWED] as Set<string> | undefined;
    next(allowed === undefined ? undefined : new MethodNotAllowedError(methodsOf(allowed)));
  });
}
