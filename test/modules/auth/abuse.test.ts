import { randomUUID } from "node:crypto";
import type { ErrorBody } from "../../support/api";
import {
  GOOD_PASSWORD,
  postJson,
  registerUser,
  tokenHeader,
  uniqueName,
  type RegisteredUser,
} from "../../support/auth";
import { capturingLogger } from "../../support/logs";
import {
  ownRedisPrefix,
  startTestService,
  useTestService,
  type TestService,
} from "../../support/service";

interface SignedInBody {
  user: { token: string; refreshToken: string };
}

const LOCKED_MESSAGE = "is temporarily locked after too many failed attempts";
const WRONG_PASSWORD = "definitely not the password";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function login(service: TestService, email: string, password: string): Promise<Response> {
  return postJson(`${service.url}/api/users/login`, { user: { email, password } });
}

function retryAfterOf(res: Response): number {
  const header = res.headers.get("retry-after");
  expect(header).toMatch(/^\d+$/);
  return Number(header);
}

async function expectLocked(res: Response): Promise<number> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as ErrorBody;
  expect(body.errors).toEqual({ login: [LOCKED_MESSAGE] });
  expect(body.code).toBe("TOO_MANY_REQUESTS");
  const retryAfter = retryAfterOf(res);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  return retryAfter;
}

async function failTimes(service: TestService, email: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const res = await login(service, email, WRONG_PASSWORD);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).errors).toEqual({ credentials: ["invalid"] });
  }
}

describe("per-account sign-in lockout", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({
      env: {
        REDIS_KEY_PREFIX: ownRedisPrefix("lockout"),
        LOGIN_MAX_FAILURES_PER_ACCOUNT: "3",
        LOGIN_LOCKOUT_BASE_SECONDS: "2",
        LOGIN_LOCKOUT_MAX_SECONDS: "60",
      },
    });
  });
  afterAll(() => service.stop());

  it("when an account has 2 failures (under the limit of 3), then the right password still signs in", async () => {
    const user = await registerUser(service);
    await failTimes(service, user.email, 2);
    expect((await login(service, user.email, user.password)).status).toBe(200);
  });

  it("when an account reaches 3 failures, then even the right password gets 429 with Retry-After and errors.login", async () => {
    const user = await registerUser(service);
    await failTimes(service, user.email, 3);
    const retryAfter = await expectLocked(await login(service, user.email, user.password));
    expect(retryAfter).toBeLessThanOrEqual(2);
    // The lock is on the account, whatever the letter case of the email.
    await expectLocked(await login(service, user.email.toUpperCase(), user.password));
    // Another account from the same address is not affected.
    const other = await registerUser(service);
    expect((await login(service, other.email, other.password)).status).toBe(200);
  });

  it("when the lock has passed and the account fails again, then the next lock is longer", async () => {
    const user = await registerUser(service);
    await failTimes(service, user.email, 3);
    const first = await expectLocked(await login(service, user.email, user.password));

    await sleep(first * 1000 + 250);
    await failTimes(service, user.email, 1);
    const second = await expectLocked(await login(service, user.email, user.password));
    expect(second).toBeGreaterThan(first);
    expect(second).toBeLessThanOrEqual(60);
  });

  it("when the right password signs in after the lock has passed, then the account's count starts again", async () => {
    const user = await registerUser(service);
    await failTimes(service, user.email, 3);
    const retryAfter = await expectLocked(await login(service, user.email, user.password));

    await sleep(retryAfter * 1000 + 250);
    expect((await login(service, user.email, user.password)).status).toBe(200);
    await failTimes(service, user.email, 2);
    expect((await login(service, user.email, user.password)).status).toBe(200);
  });

  it("when many wrong guesses for one account arrive at once, then no more than the limit (3) are checked and the rest get 429", async () => {
    const user = await registerUser(service);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        login(service, user.email, WRONG_PASSWORD).then((res) => res.status),
      ),
    );
    const checked = statuses.filter((status) => status === 401).length;
    const refused = statuses.filter((status) => status === 429).length;
    expect(checked + refused).toBe(10);
    expect(checked).toBeLessThanOrEqual(3);
  });

  it("when an unknown email is tried repeatedly, then it is locked just like a real account", async () => {
    const email = `${uniqueName("ghost")}@example.com`;
    await failTimes(service, email, 3);
    await expectLocked(await login(service, email, WRONG_PASSWORD));
  });
});

describe("per-IP sign-in lockout", () => {
  it("when failures from one address spread over many emails reach the IP limit, then every sign-in from it is locked", async () => {
    const service = await startTestService({
      env: {
        REDIS_KEY_PREFIX: ownRedisPrefix("ip-lockout"),
        LOGIN_MAX_FAILURES_PER_IP: "4",
        LOGIN_MAX_FAILURES_PER_ACCOUNT: "10",
      },
    });
    try {
      const victim = await registerUser(service);
      const others: RegisteredUser[] = [await registerUser(service), await registerUser(service)];
      await failTimes(service, others[0]!.email, 1);
      await failTimes(service, others[1]!.email, 1);
      await failTimes(service, `${uniqueName("ghost")}@example.com`, 1);
      // Three failures: under the IP limit of 4, so sign-ins still work.
      expect((await login(service, victim.email, victim.password)).status).toBe(200);
      await failTimes(service, `${uniqueName("ghost")}@example.com`, 1);

      await expectLocked(await login(service, victim.email, victim.password));
      await expectLocked(await login(service, `${uniqueName("new")}@example.com`, GOOD_PASSWORD));
    } finally {
      await service.stop();
    }
  });
});

describe("registration rate limit", () => {
  it("when an address registers more than REGISTRATIONS_PER_IP_PER_HOUR times, then it gets 429 with Retry-After and RateLimit headers", async () => {
    const service = await startTestService({
      env: {
        REDIS_KEY_PREFIX: ownRedisPrefix("register-limit"),
        REGISTRATIONS_PER_IP_PER_HOUR: "2",
      },
    });
    try {
      const usernames: string[] = [];
      const register = () => {
        const username = uniqueName("limited");
        usernames.push(username);
        return postJson(`${service.url}/api/users`, {
          user: { username, email: `${username}@example.com`, password: GOOD_PASSWORD },
        });
      };
      const first = await register();
      expect(first.status).toBe(201);
      expect(first.headers.get("ratelimit-policy")).toBe("2;w=3600");
      expect(first.headers.get("ratelimit")).toMatch(/^limit=2, remaining=1, reset=\d+$/);
      const second = await register();
      expect(second.status).toBe(201);
      expect(second.headers.get("ratelimit")).toMatch(/^limit=2, remaining=0, reset=\d+$/);

      const third = await register();
      expect(third.status).toBe(429);
      const body = (await third.json()) as ErrorBody;
      expect(body.code).toBe("TOO_MANY_REQUESTS");
      expect(body.errors).toEqual({ requests: ["are too many, try again later"] });
      const retryAfter = retryAfterOf(third);
      expect(retryAfter).toBeGreaterThan(3_500);
      expect(retryAfter).toBeLessThanOrEqual(3_600);
      expect(third.headers.get("ratelimit-policy")).toBe("2;w=3600");
      expect(third.headers.get("ratelimit")).toMatch(/^limit=2, remaining=0, reset=\d+$/);
      // The refused registration created no account.
      const created = await service.container.db.user.findMany({
        where: { username: { in: usernames } },
        select: { username: true },
      });
      expect(created.map((row) => row.username).sort()).toEqual(usernames.slice(0, 2).sort());
    } finally {
      await service.stop();
    }
  });
});

describe("registration rate limit: what counts", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("register-refund"),
      REGISTRATIONS_PER_IP_PER_HOUR: "2",
      PASSWORD_REFUSE_COMMON: "true",
    },
  });

  const register = (user: Record<string, string>) => postJson(`${service.url}/api/users`, { user });
  const account = () => {
    const username = uniqueName("counted");
    return { username, email: `${username}@example.com`, password: GOOD_PASSWORD };
  };

  it("when many registrations are refused for what they send (422), then they give their point back and two real ones still get 201", async () => {
    // Awaited one by one: a refusal gives its point back as its answer is sent,
    // before the next attempt takes one.
    for (let i = 0; i < 5; i += 1) {
      const blank = await register({ ...account(), username: "" });
      expect(blank.status).toBe(422);
      const common = await register({ ...account(), password: "password123" });
      expect(common.status).toBe(422);
    }
    expect((await register(account())).status).toBe(201);
    expect((await register(account())).status).toBe(201);
    expect((await register(account())).status).toBe(429);
  });

  it("when a registration collides with a taken email (409), then it counts like an account made", async () => {
    const first = account();
    expect((await register(first)).status).toBe(201);
    expect((await register({ ...account(), email: first.email })).status).toBe(409);
    expect((await register(account())).status).toBe(429);
  });
});

describe("refresh rate limit", () => {
  it("when an address refreshes more than REFRESHES_PER_IP_PER_MINUTE times, then it gets 429 with Retry-After and RateLimit headers", async () => {
    const service = await startTestService({
      env: { REDIS_KEY_PREFIX: ownRedisPrefix("refresh-limit"), REFRESHES_PER_IP_PER_MINUTE: "2" },
    });
    try {
      const user = await registerUser(service);
      const refresh = (refreshToken: string) =>
        postJson(`${service.url}/api/users/refresh`, { refreshToken });
      const first = await refresh(user.refreshToken);
      expect(first.status).toBe(200);
      expect(first.headers.get("ratelimit-policy")).toBe("2;w=60");
      const { user: next } = (await first.json()) as SignedInBody;
      const second = await refresh(next.refreshToken);
      expect(second.status).toBe(200);
      const { user: last } = (await second.json()) as SignedInBody;

      const third = await refresh(last.refreshToken);
      expect(third.status).toBe(429);
      const body = (await third.json()) as ErrorBody;
      expect(body.code).toBe("TOO_MANY_REQUESTS");
      const retryAfter = retryAfterOf(third);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(third.headers.get("ratelimit-policy")).toBe("2;w=60");
      expect(third.headers.get("ratelimit")).toMatch(/^limit=2, remaining=0, reset=\d+$/);

      // The refused request did not rotate the token: the session is intact.
      expect(
        (await fetch(`${service.url}/api/user`, { headers: tokenHeader(last.token) })).status,
      ).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe("log hygiene", () => {
  it("when a user registers, signs in, fails a sign-in, refreshes and changes the password, then no debug log line holds a password or a token", async () => {
    const { logger, lines } = capturingLogger("debug");
    const service = await startTestService({
      env: { REDIS_KEY_PREFIX: ownRedisPrefix("log-hygiene"), LOG_LEVEL: "debug" },
      logger,
    });
    const secrets: string[] = [];
    try {
      const password = `first-passphrase-${randomUUID().slice(0, 8)}`;
      const newPassword = `second-passphrase-${randomUUID().slice(0, 8)}`;
      const wrongPassword = `wrong-passphrase-${randomUUID().slice(0, 8)}`;
      secrets.push(password, newPassword, wrongPassword);

      const user = await registerUser(service, { password });
      const signIn = await login(service, user.email, password);
      expect(signIn.status).toBe(200);
      const { user: session } = (await signIn.json()) as SignedInBody;
      expect((await login(service, user.email, wrongPassword)).status).toBe(401);
      const refreshed = await postJson(`${service.url}/api/users/refresh`, {
        refreshToken: session.refreshToken,
      });
      expect(refreshed.status).toBe(200);
      const { user: rotated } = (await refreshed.json()) as SignedInBody;
      const changed = await postJson(
        `${service.url}/api/user`,
        { user: { password: newPassword } },
        tokenHeader(rotated.token),
        "PUT",
      );
      expect(changed.status).toBe(200);

      for (const accessToken of [user.token, session.token, rotated.token]) {
        secrets.push(accessToken, accessToken.split(".")[2]!);
      }
      for (const refreshToken of [user.refreshToken, session.refreshToken, rotated.refreshToken]) {
        secrets.push(refreshToken, refreshToken.split(".")[1]!);
      }
    } finally {
      await service.stop();
    }

    const logged = lines();
    // The requests were logged (so the check below looks at something), and the failure too.
    expect(logged.length).toBeGreaterThanOrEqual(5);
    expect(logged.some((line) => line.includes('"auth.login_failed"'))).toBe(true);
    const leaks = secrets.flatMap((secret) =>
      logged.filter((line) => line.includes(secret)).map((line) => ({ secret, line })),
    );
    expect(leaks).toEqual([]);
  });
});
