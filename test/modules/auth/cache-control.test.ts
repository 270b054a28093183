import { postJson, registerUser, registerWithRole, tokenHeader } from "../../support/auth";
import { ownRedisPrefix, useTestService } from "../../support/service";

const REFRESH_COOKIE = "__Secure-conduit-refresh";

describe("Cache-Control on answers to requests with credentials", () => {
  const service = useTestService({ env: { REDIS_KEY_PREFIX: ownRedisPrefix("cache-control") } });
  const url = (path: string) => `${service.url}/api${path}`;

  it("when signed-in requests read the feed, sessions, notifications, profiles, articles and the admin lists, then every answer is no-store", async () => {
    const admin = await registerWithRole(service, "ADMIN");
    const paths = [
      "/user",
      "/articles/feed",
      "/articles",
      "/tags",
      "/user/sessions",
      `/profiles/${admin.username}`,
      "/admin/users",
      "/admin/audit-log",
    ];
    for (const path of paths) {
      const res = await fetch(url(path), { headers: tokenHeader(admin.token) });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect({ path, cacheControl: res.headers.get("cache-control") }).toEqual({
        path,
        cacheControl: "no-store",
      });
    }
  });

  it("when a request with credentials fails (bad token, unknown route, forbidden, invalid body, bad refresh cookie), then the error is no-store too", async () => {
    const user = await registerUser(service);
    const answers = [
      await fetch(url("/user"), { headers: tokenHeader("not.a.token") }),
      await fetch(url("/no-such-route"), { headers: tokenHeader(user.token) }),
      await fetch(url("/admin/users"), { headers: tokenHeader(user.token) }),
      await postJson(url("/articles"), { article: {} }, tokenHeader(user.token)),
      await postJson(url("/users/refresh"), {}, { cookie: `${REFRESH_COOKIE}=not-a-token` }),
    ];
    expect(answers.map((res) => res.status)).toEqual([401, 404, 403, 422, 401]);
    for (const res of answers) expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("when a request carries the refresh cookie only, then its answer is no-store", async () => {
    const res = await fetch(url("/tags"), { headers: { cookie: `${REFRESH_COOKIE}=anything` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("when an anonymous request reads public pages or fails, then no no-store is added", async () => {
    for (const path of ["/articles", "/tags", "/no-such-route"]) {
      const res = await fetch(url(path), { headers: { cookie: "theme=dark" } });
      expect(res.headers.get("cache-control")).toBeNull();
    }
  });
});
