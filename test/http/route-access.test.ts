import express, { type RequestHandler } from "express";
import { buildApp } from "../../src/app";
import { createContainer, type Container } from "../../src/container";
import { createLogger } from "../../src/core/logging/logger";
import {
  assertEveryRouteDeclaresAccess,
  declareAccess,
  listRoutes,
  publicAccess,
} from "../../src/core/http/route-access";
import { testConfig } from "../support/service";

const handler: RequestHandler = (_req, res) => {
  res.end();
};

/** The error assertEveryRouteDeclaresAccess throws, or undefined when it passes. */
function refusal(app: express.Express): string | undefined {
  try {
    assertEveryRouteDeclaresAccess(app);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe("route access declarations", () => {
  describe("the real application", () => {
    let container: Container;

    beforeAll(() => {
      const config = testConfig();
      container = createContainer(config, createLogger(config.log));
    });
    afterAll(() => container.close());

    it("when built from a real container, then it builds and every listed route has an access rule", () => {
      const app = buildApp(container);
      const routes = listRoutes(app);

      expect(routes.length).toBeGreaterThan(10);
      expect(routes.filter((route) => route.access === undefined)).toEqual([]);
      expect(refusal(app)).toBeUndefined();
      // Each route is listed once, under its full path.
      const names = routes.map((route) => `${route.method} ${route.path}`);
      expect(new Set(names).size).toBe(names.length);
      expect(names.every((name) => / \/(api|health|docs|metrics)(\/|$)/.test(name))).toBe(true);
    });

    it("when listed, then the routes carry the rules their routers declare", () => {
      const rules = Object.fromEntries(
        listRoutes(buildApp(container)).map((route) => [
          `${route.method} ${route.path}`,
          route.access,
        ]),
      );

      expect(rules).toMatchObject({
        "GET /health/live": "public",
        "GET /health/ready": "public",
        "POST /api/users": "public",
        "POST /api/users/login": "public",
        "POST /api/users/refresh": "public",
        "GET /api/user": "authenticated",
        "PUT /api/user": "authenticated",
        "POST /api/users/logout": "authenticated",
        "GET /api/user/sessions": "authenticated",
        "DELETE /api/user/sessions/:id": "authenticated",
        "GET /api/admin/users": "permission:user:read:any",
        "PATCH /api/admin/users/:username/role": "permission:user:role:assign",
        "POST /api/admin/users/:username/ban": "permission:user:ban",
        "POST /api/admin/users/:username/unban": "permission:user:ban",
        "GET /api/admin/audit-log": "permission:audit:read",
      });
    });

    it("when the access rules are made, then each names itself the way routes list it", () => {
      const { access } = container;
      expect(listRoutesOf((router) => router.get("/a", access.public, handler))).toEqual([
        "public",
      ]);
      expect(listRoutesOf((router) => router.get("/a", access.optionalAuth, handler))).toEqual([
        "optional",
      ]);
      expect(listRoutesOf((router) => router.get("/a", access.requireAuth, handler))).toEqual([
        "authenticated",
      ]);
      expect(
        listRoutesOf((router) => router.get("/a", access.requirePermission("user:ban"), handler)),
      ).toEqual(["permission:user:ban"]);
    });
  });

  function listRoutesOf(define: (router: express.Router) => void): (string | undefined)[] {
    const app = express();
    const router = express.Router();
    define(router);
    app.use(router);
    return listRoutes(app).map((route) => route.access);
  }

  it("when a route has no access rule, then the assertion throws naming METHOD /path", () => {
    const app = express();
    app.get("/declared", publicAccess, handler);
    app.post("/forgotten", handler);
    app.delete("/also/forgotten/:id", handler);

    const message = refusal(app);

    expect(message).toBeDefined();
    expect(message).toContain("POST /forgotten");
    expect(message).toContain("DELETE /also/forgotten/:id");
    expect(message).not.toContain("/declared");
  });

  it("when the access rule is not the route's first handler, then the route counts as undeclared", () => {
    const app = express();
    const before: RequestHandler = (_req, _res, next) => next();
    app.get("/late", before, publicAccess, handler);

    expect(refusal(app)).toContain("GET /late");
    expect(listRoutes(app)).toEqual([{ method: "GET", path: "/late", access: undefined }]);
  });

  it("when every route declares a rule, then the assertion passes, whatever the rule's name", () => {
    const app = express();
    app.get("/a", publicAccess, handler);
    app.put(
      "/b",
      declareAccess("custom-rule", (_req, _res, next) => next()),
      handler,
    );

    expect(refusal(app)).toBeUndefined();
    expect(listRoutes(app)).toEqual([
      { method: "GET", path: "/a", access: "public" },
      { method: "PUT", path: "/b", access: "custom-rule" },
    ]);
  });

  it("when routes sit under mounted routers, then they are listed and named by their full path", () => {
    const app = express();
    const api = express.Router();
    const v1 = express.Router();
    v1.get("/items/:id", publicAccess, handler);
    v1.delete("/items/:id", handler);
    api.use("/v1", v1);
    api.post("/things", handler);
    app.use("/api", api);
    app.use(express.Router().get("/root-level", publicAccess, handler));

    expect(listRoutes(app)).toEqual([
      { method: "GET", path: "/api/v1/items/:id", access: "public" },
      { method: "DELETE", path: "/api/v1/items/:id", access: undefined },
      { method: "POST", path: "/api/things", access: undefined },
      { method: "GET", path: "/root-level", access: "public" },
    ]);
    const message = refusal(app);
    expect(message).toContain("DELETE /api/v1/items/:id");
    expect(message).toContain("POST /api/things");
    expect(message).not.toContain("GET /api/v1/items/:id");
  });

  it("when a route registered with app.all has no rule, then it is refused", () => {
    const app = express();
    app.all("/anything", handler);
    expect(refusal(app)).toContain("GET /anything");
  });

  it("when one route path chains several methods and only the first declares a rule, then the others are refused", () => {
    const app = express();
    app.route("/chained").get(publicAccess, handler).post(handler);

    expect(listRoutes(app)).toEqual([
      { method: "GET", path: "/chained", access: "public" },
      { method: "POST", path: "/chained", access: undefined },
    ]);
    expect(refusal(app)).toContain("POST /chained");
  });

  it("when a whole Express app is mounted inside another, then it is refused, since its routes cannot be inspected", () => {
    const app = express();
    const inner = express();
    inner.get("/inner", publicAccess, handler);
    app.use("/sub", inner);

    expect(refusal(app)).toContain("USE /sub/*");
  });
});
