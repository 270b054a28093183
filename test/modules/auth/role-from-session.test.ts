import { SignJWT } from "jose";
import type { ErrorBody } from "../../support/api";
import {
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../../support/auth";
import { ownRedisPrefix, useTestService, type TestService } from "../../support/service";

interface TokenPayload {
  sub: string;
  sid: string;
  role: string;
  exp: number;
}

function payloadOf(token: string): TokenPayload {
  return JSON.parse(
    Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"),
  ) as TokenPayload;
}

/** A token signed with the service's real secret for the user's own session, naming any role. */
function mint(service: TestService, user: RegisteredUser, role: string): Promise<string> {
  const { auth } = service.container.config;
  const { sub, sid, exp } = payloadOf(user.token);
  return new SignJWT({ sid, role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(auth.jwtSecret));
}

describe("the role for permission checks comes from the session", () => {
  const service = useTestService({ env: { REDIS_KEY_PREFIX: ownRedisPrefix("session-role") } });
  const get = (path: string, token: string) =>
    fetch(`${service.url}/api${path}`, { headers: tokenHeader(token) });

  it("when a user's own session gets a token signed with the real secret that claims ADMIN, then admin routes answer 403", async () => {
    const user = await registerUser(service);
    const forged = await mint(service, user, "ADMIN");
    expect(payloadOf(forged).role).toBe("ADMIN");

    // The token itself is valid: it names a live session of its user.
    expect((await get("/user", forged)).status).toBe(200);
    for (const path of ["/admin/users", "/admin/audit-log"]) {
      const res = await get(path, forged);
      expect(res.status).toBe(403);
      expect(((await res.json()) as ErrorBody).code).toBe("FORBIDDEN");
    }
  });

  it("when a moderator's token claims only USER, then the session's role still holds and moderator routes answer 200", async () => {
    const moderator = await registerWithRole(service, "MODERATOR");
    const understated = await mint(service, moderator, "USER");
    expect((await get("/admin/users", understated)).status).toBe(200);
    expect((await get("/admin/audit-log", understated)).status).toBe(403);
  });

  it("when a session from before sessions held a role is used, then it counts as USER whatever its token says", async () => {
    const admin = await registerWithRole(service, "ADMIN");
    expect((await get("/admin/users", admin.token)).status).toBe(200);
    await service.container.redis.hdel(`session:${payloadOf(admin.token).sid}`, "role");

    expect((await get("/user", admin.token)).status).toBe(200);
    expect((await get("/admin/users", admin.token)).status).toBe(403);
  });
});
