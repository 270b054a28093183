import express from "express";
import { buildApp } from "../../src/app";
import { principalOf } from "../../src/modules/auth/access";
import { registerUser, tokenHeader } from "../support/auth";
import { resetState } from "../support/database";
import { startTestService, type TestService } from "../support/service";

// optionalAuth personalises public routes. A stale or broken token must not
// lock a reader out of public pages, so it is treated as no token, with a hint.
describe("optionalAuth", () => {
  let service: TestService;
  let probeUrl: string;

  beforeAll(async () => {
    // Routes are added once the service exists, since they need its container.
    const app = express();
    service = await startTestService({ app });
    app.get("/probe", service.container.access.optionalAuth, (req, res) => {
      res.json({ userId: principalOf(req)?.userId ?? null });
    });
    // The real API too, for registering and logging out.
    app.use(buildApp(service.container));
    probeUrl = `${service.url}/probe`;
  });

  beforeEach(async () => {
    await resetState(service.container);
  });

  afterAll(async () => {
    await service.stop();
  });

  test("without a token the caller is anonymous", async () => {
    const res = await fetch(probeUrl);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userId: null });
    expect(res.headers.get("www-authenticate")).toBeNull();
  });

  test("a valid token identifies the caller", async () => {
    const user = await registerUser(service);
    const res = await fetch(probeUrl, { headers: tokenHeader(user.token) });
    expect(await res.json()).toEqual({ userId: user.id });
  });

  test("a broken token is treated as none and answered with an invalid_token hint", async () => {
    const res = await fetch(probeUrl, { headers: tokenHeader("not.a.jwt") });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userId: null });
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  test("a revoked token is treated as none", async () => {
    const user = await registerUser(service);
    const logout = await fetch(`${service.url}/api/users/logout`, {
      method: "POST",
      headers: tokenHeader(user.token),
    });
    expect(logout.status).toBe(204);

    const res = await fetch(probeUrl, { headers: tokenHeader(user.token) });
    expect(await res.json()).toEqual({ userId: null });
    expect(res.headers.get("www-authenticate")).toContain("has been revoked");
  });
});
