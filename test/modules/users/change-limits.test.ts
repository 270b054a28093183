import type { ErrorBody } from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import { ownRedisPrefix, useTestService, type TestService } from "../../support/service";

function putUser(service: TestService, user: RegisteredUser, changes: Record<string, unknown>) {
  return postJson(`${service.url}/api/user`, { user: changes }, tokenHeader(user.token), "PUT");
}

function signIn(service: TestService, email: string, password: string) {
  return postJson(`${service.url}/api/users/login`, { user: { email, password } });
}

/** The 429 every limit answers: the one error format, Retry-After and the RateLimit headers. */
async function expectLimited(res: Response, policy: string): Promise<void> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as ErrorBody;
  expect(body.code).toBe("TOO_MANY_REQUESTS");
  expect(body.errors).toEqual({ requests: ["are too many, try again later"] });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(res.headers.get("ratelimit-policy")).toBe(policy);
  expect(res.headers.get("ratelimit")).toMatch(/^limit=\d+, remaining=0, reset=\d+$/);
}

describe("password changes per user", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("password-changes"),
      PASSWORD_CHANGES_PER_USER_PER_HOUR: "2",
    },
  });

  it("when a user changes the password more than PASSWORD_CHANGES_PER_USER_PER_HOUR times, then the next change is 429 and the password stays as it was", async () => {
    const user = await registerUser(service);
    const first = await putUser(service, user, { password: "first new passphrase" });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe("2;w=3600");
    expect(first.headers.get("ratelimit")).toMatch(/^limit=2, remaining=1, reset=\d+$/);
    expect((await putUser(service, user, { password: "second new passphrase" })).status).toBe(200);

    await expectLimited(
      await putUser(service, user, { password: "third new passphrase" }),
      "2;w=3600",
    );
    expect((await signIn(service, user.email, "second new passphrase")).status).toBe(200);
    // Changes of other fields are not counted, and another user has an allowance of their own.
    expect((await putUser(service, user, { bio: "still editable" })).status).toBe(200);
    const other = await registerUser(service);
    expect((await putUser(service, other, { password: "other new passphrase" })).status).toBe(200);
  });

  it("when a new password is refused for what it is (422), then it is not counted", async () => {
    const user = await registerUser(service);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await putUser(service, user, { password: "short" })).status).toBe(422);
    }
    expect((await putUser(service, user, { password: "first new passphrase" })).status).toBe(200);
    expect((await putUser(service, user, { password: "second new passphrase" })).status).toBe(200);
  });
});

describe("email changes per user", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("email-changes"),
      EMAIL_CHANGES_PER_USER_PER_HOUR: "2",
    },
  });

  it("when a settings form sends the unchanged email again and again, then nothing is counted", async () => {
    const user = await registerUser(service);
    for (let save = 0; save < 4; save += 1) {
      const res = await putUser(service, user, { email: user.email, bio: `bio ${save}` });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit")).toBeNull();
    }
    expect((await putUser(service, user, { email: `a-${user.email}` })).status).toBe(200);
  });

  it("when a user probes taken emails (409), then the probes count and past the limit the answer is 429, not whether the email is taken", async () => {
    const user = await registerUser(service);
    const taken = await registerUser(service);
    const probe = await putUser(service, user, { email: taken.email });
    expect(probe.status).toBe(409);
    expect(probe.headers.get("ratelimit")).toMatch(/^limit=2, remaining=1, reset=\d+$/);
    expect((await putUser(service, user, { email: `new-${user.email}` })).status).toBe(200);

    await expectLimited(await putUser(service, user, { email: taken.email }), "2;w=3600");
    await expectLimited(await putUser(service, user, { email: `free-${user.email}` }), "2;w=3600");
  });
});

describe("sign-ins per address", () => {
  const service = useTestService({
    env: { REDIS_KEY_PREFIX: ownRedisPrefix("sign-ins"), SIGN_INS_PER_IP_PER_HOUR: "2" },
  });

  it("when an address signs in more than SIGN_INS_PER_IP_PER_HOUR times, then the next sign-in is 429 even with the right password, while wrong passwords were not counted", async () => {
    const user = await registerUser(service);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await signIn(service, user.email, "not the password")).status).toBe(401);
    }
    const first = await signIn(service, user.email, user.password);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe("2;w=3600");
    expect((await signIn(service, user.email, user.password)).status).toBe(200);

    await expectLimited(await signIn(service, user.email, user.password), "2;w=3600");
  });
});
