import type { ErrorBody } from "../../support/api";
import { postJson, registerUser, tokenHeader, uniqueName } from "../../support/auth";
import { ownRedisPrefix, useTestService } from "../../support/service";
import {
  HashingQueue,
  PasswordHashingBusyError,
  type QueuePlace,
} from "../../../src/modules/auth/hashing-queue";

/** Work that finishes when the test says so. */
function heldWork() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { work: () => done, finish };
}

describe("hashing queue", () => {
  it("when more work arrives than may run at once, then the rest waits its turn and at most maxConcurrent run together", async () => {
    const queue = new HashingQueue({ maxConcurrent: 2, maxQueued: 3 });
    let running = 0;
    let most = 0;
    const holds = Array.from({ length: 5 }, () => heldWork());
    const started: number[] = [];
    const results = holds.map((hold, index) =>
      queue.run(async () => {
        running += 1;
        most = Math.max(most, running);
        started.push(index);
        await hold.work();
        running -= 1;
        return index;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);

    for (const hold of holds) hold.finish();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it("when every place is taken, then one more is refused at once with 503 busy and Retry-After, and a place given back is free again", async () => {
    const queue = new HashingQueue({ maxConcurrent: 1, maxQueued: 1 });
    const places: QueuePlace[] = [queue.enter(), queue.enter()];

    let refusal: unknown;
    try {
      queue.enter();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(PasswordHashingBusyError);
    const busy = refusal as PasswordHashingBusyError;
    expect(busy.status).toBe(503);
    expect(busy.errors).toEqual({ server: ["is busy, try again shortly"] });
    expect(busy.headers["Retry-After"]).toBe("1");
    await expect(queue.run(() => Promise.resolve("queued"))).rejects.toBeInstanceOf(
      PasswordHashingBusyError,
    );

    places[0]!.leave();
    places[0]!.leave(); // leaving twice gives back one place, not two
    await expect(queue.run(() => Promise.resolve("ran"))).resolves.toBe("ran");
    const third = queue.enter();
    expect(() => queue.enter()).toThrow(PasswordHashingBusyError);
    third.leave();
    places[1]!.leave();
  });

  it("when work fails, then its slot is handed on and the queue keeps going", async () => {
    const queue = new HashingQueue({ maxConcurrent: 1, maxQueued: 1 });
    const failing = queue.run(() => Promise.reject(new Error("argon2 failed")));
    const next = queue.run(() => Promise.resolve("next"));
    await expect(failing).rejects.toThrow("argon2 failed");
    await expect(next).resolves.toBe("next");
    await expect(queue.run(() => Promise.resolve("after"))).resolves.toBe("after");
  });
});

describe("password hashing when the queue is full", () => {
  const service = useTestService({
    env: {
      REDIS_KEY_PREFIX: ownRedisPrefix("hashing-busy"),
      PASSWORD_HASH_CONCURRENCY: "1",
      PASSWORD_HASH_QUEUE_LENGTH: "1",
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "2",
    },
  });

  /** Takes every place of the service's hashing queue, as a burst of sign-ins would. */
  function fillQueue(): () => void {
    const { hashing } = service.container;
    const places = [hashing.enter(), hashing.enter()];
    return () => places.forEach((place) => place.leave());
  }

  async function expectBusy(res: Response): Promise<void> {
    expect(res.status).toBe(503);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe("SERVICE_UNAVAILABLE");
    expect(body.errors).toEqual({ server: ["is busy, try again shortly"] });
    expect(res.headers.get("retry-after")).toBe("1");
  }

  it("when the queue is full, then sign-in, registration and a password change answer 503 busy, and requests that hash nothing are served", async () => {
    const user = await registerUser(service);
    const release = fillQueue();
    try {
      await expectBusy(
        await postJson(`${service.url}/api/users/login`, {
          user: { email: user.email, password: user.password },
        }),
      );
      const username = uniqueName("busy");
      await expectBusy(
        await postJson(`${service.url}/api/users`, {
          user: { username, email: `${username}@example.com`, password: user.password },
        }),
      );
      await expectBusy(
        await postJson(
          `${service.url}/api/user`,
          { user: { password: "a brand new passphrase" } },
          tokenHeader(user.token),
          "PUT",
        ),
      );
      const current = await fetch(`${service.url}/api/user`, { headers: tokenHeader(user.token) });
      expect(current.status).toBe(200);
    } finally {
      release();
    }
    const signIn = await postJson(`${service.url}/api/users/login`, {
      user: { email: user.email, password: user.password },
    });
    expect(signIn.status).toBe(200);
  });

  it("when sign-ins are refused as busy more times than the account's failure limit, then none counted as a failure and the right password still signs in", async () => {
    const user = await registerUser(service);
    const release = fillQueue();
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await expectBusy(
          await postJson(`${service.url}/api/users/login`, {
            user: { email: user.email, password: "a wrong guess" },
          }),
        );
      }
    } finally {
      release();
    }
    const signIn = await postJson(`${service.url}/api/users/login`, {
      user: { email: user.email, password: user.password },
    });
    expect(signIn.status).toBe(200);
  });
});
