import type { ErrorBody } from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import { ownRedisPrefix, useTestService, type TestService } from "../../support/service";

interface SignedInBody {
  user: { token: string; refreshToken: string };
}

const NEW_PASSWORD = "a brand new passphrase";

function api(service: TestService) {
  const call = (method: string, path: string, token: string, body: unknown = {}) =>
    postJson(`${service.url}/api${path}`, body, tokenHeader(token), method);
  return {
    putUser: (user: RegisteredUser, changes: Record<string, unknown>) =>
      call("PUT", "/user", user.token, { user: changes }),
    logoutAll: (token: string, body: unknown = {}) =>
      call("POST", "/users/logout-all", token, body),
    endSession: (token: string, id: string, body: unknown = {}) =>
      call("DELETE", `/user/sessions/${id}`, token, body),
    getUser: (token: string) => fetch(`${service.url}/api/user`, { headers: tokenHeader(token) }),
    signIn: (email: string, password: string) =>
      postJson(`${service.url}/api/users/login`, { user: { email, password } }),
  };
}

/** A second session of the user: its token and its id. */
async function secondSession(
  service: TestService,
  user: RegisteredUser,
): Promise<{ token: string; id: string }> {
  const res = await api(service).signIn(user.email, user.password);
  expect(res.status).toBe(200);
  const { user: body } = (await res.json()) as SignedInBody;
  return { token: body.token, id: body.refreshToken.split(".")[0]! };
}

async function expectError(res: Response, status: number, errors: ErrorBody["errors"]) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as ErrorBody).errors).toEqual(errors);
}

const MISSING = { currentPassword: ["is required for this change"] };
const INCORRECT = { currentPassword: ["is incorrect"] };

describe("with REQUIRE_CURRENT_PASSWORD=true", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("reauthentication"),
      REQUIRE_CURRENT_PASSWORD: "true",
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "3",
    },
  });

  it("when a password change comes without the current password or with a wrong one, then it is refused (422, 403) and the password stays; with the right one it is changed", async () => {
    const user = await registerUser(service);
    const { putUser, signIn } = api(service);
    await expectError(await putUser(user, { password: NEW_PASSWORD }), 422, MISSING);
    await expectError(
      await putUser(user, { password: NEW_PASSWORD, currentPassword: "not it at all" }),
      403,
      INCORRECT,
    );
    expect((await signIn(user.email, user.password)).status).toBe(200);

    const changed = await putUser(user, { password: NEW_PASSWORD, currentPassword: user.password });
    expect(changed.status).toBe(200);
    expect((await signIn(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it("when an email change comes without the right current password, then it is refused; changes of other fields, and the unchanged email, need none", async () => {
    const user = await registerUser(service);
    const { putUser } = api(service);
    const email = `changed-${user.email}`;
    await expectError(await putUser(user, { email }), 422, MISSING);
    await expectError(
      await putUser(user, { email, currentPassword: "not it at all" }),
      403,
      INCORRECT,
    );
    expect((await putUser(user, { email: user.email, bio: "a new bio" })).status).toBe(200);
    expect((await putUser(user, { username: `${user.username}x` })).status).toBe(200);

    const changed = await putUser(user, { email, currentPassword: user.password });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { user: { email: string } }).user.email).toBe(email);
  });

  it("when a caller ends all sessions or another session without the right current password, then the sessions live on; with it they end", async () => {
    const user = await registerUser(service);
    const { logoutAll, endSession, getUser } = api(service);
    const other = await secondSession(service, user);

    await expectError(await endSession(user.token, other.id), 422, MISSING);
    await expectError(
      await endSession(user.token, other.id, { currentPassword: "not it at all" }),
      403,
      INCORRECT,
    );
    await expectError(await logoutAll(user.token), 422, MISSING);
    await expectError(
      await logoutAll(user.token, { currentPassword: "not it at all" }),
      403,
      INCORRECT,
    );
    expect((await getUser(other.token)).status).toBe(200);
    expect((await getUser(user.token)).status).toBe(200);

    expect(
      (await endSession(user.token, other.id, { currentPassword: user.password })).status,
    ).toBe(204);
    expect((await getUser(other.token)).status).toBe(401);
    expect((await logoutAll(user.token, { currentPassword: user.password })).status).toBe(204);
    expect((await getUser(user.token)).status).toBe(401);
  });

  it("when a caller ends its own session, then no current password is needed (it is a sign-out)", async () => {
    const user = await registerUser(service);
    const { endSession, getUser } = api(service);
    const own = await secondSession(service, user);
    expect((await endSession(own.token, own.id)).status).toBe(204);
    expect((await getUser(own.token)).status).toBe(401);
  });

  it("when wrong current passwords reach the account's failure limit, then the account is locked: re-authentication and sign-in answer 429, even with the right password", async () => {
    const user = await registerUser(service);
    const { putUser, signIn } = api(service);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const res = await putUser(user, { password: NEW_PASSWORD, currentPassword: "wrong guess" });
      expect(res.status).toBe(403);
    }
    const locked = await putUser(user, { password: NEW_PASSWORD, currentPassword: user.password });
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as ErrorBody).errors).toEqual({
      login: ["is temporarily locked after too many failed attempts"],
    });
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await signIn(user.email, user.password)).status).toBe(429);
  });
});

describe("with REQUIRE_CURRENT_PASSWORD unset (the default)", () => {
  const service = useTestService({
    env: { REDIS_KEY_PREFIX: ownRedisPrefix("no-reauthentication") },
  });

  it("when the password, the email and other sessions change without a current password, then all succeed as RealWorld expects, and one sent anyway is not checked", async () => {
    expect(service.container.config.auth.requireCurrentPassword).toBe(false);
    const user = await registerUser(service);
    const { putUser, logoutAll, endSession } = api(service);
    const other = await secondSession(service, user);
    expect((await putUser(user, { email: `changed-${user.email}` })).status).toBe(200);
    expect(
      (await putUser(user, { password: NEW_PASSWORD, currentPassword: "not it at all" })).status,
    ).toBe(200);
    const third = await secondSession(service, {
      ...user,
      password: NEW_PASSWORD,
      email: `changed-${user.email}`,
    });
    expect((await endSession(user.token, third.id)).status).toBe(204);
    expect(other.id).not.toBe(third.id);
    expect((await logoutAll(user.token)).status).toBe(204);
  });
});
