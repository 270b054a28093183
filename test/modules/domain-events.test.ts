import { type DomainEvent, DomainEvents } from "../../src/core/events/domain-events";
import { favoriteArticle, updateArticle } from "../support/api";
import {
  postJson,
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../support/auth";
import { withAuditInsertsFailing } from "../support/database";
import { createArticle, createComment } from "../support/factories";
import { capturingLogger } from "../support/logs";
import { startTestService, useTestService } from "../support/service";

describe("domain events published by REST calls", () => {
  const service = useTestService();
  let events: DomainEvent[];
  let unsubscribe: () => void;

  beforeEach(() => {
    events = [];
    unsubscribe = service.container.events.subscribe((event) => {
      events.push(event);
    });
  });
  afterEach(() => unsubscribe());

  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  /** Sends a request and checks its status; events are published before the answer is sent. */
  async function call(
    method: string,
    path: string,
    user: RegisteredUser,
    status: number,
    body?: unknown,
  ): Promise<unknown> {
    const response =
      body === undefined
        ? await fetch(api(path), { method, headers: tokenHeader(user.token) })
        : await postJson(api(path), body, tokenHeader(user.token), method);
    const text = await response.text();
    expect({ method, path, status: response.status, text }).toMatchObject({ status });
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }

  /** The events so far, and forget them. */
  function drain(): DomainEvent[] {
    const taken = events;
    events = [];
    return taken;
  }

  const refOf = async (slug: string) => {
    const row = await db().article.findUniqueOrThrow({ where: { slug } });
    return { id: row.id, slug: row.slug, authorId: row.authorId };
  };
  const latestNotificationId = async (recipientId: number) =>
    (await db().notification.findFirstOrThrow({ where: { recipientId }, orderBy: { id: "desc" } }))
      .id;

  describe("articles", () => {
    it("when an article is created, then article.created with its id, slug and author", async () => {
      const author = await registerUser(service);
      const { article } = (await call("POST", "/articles", author, 201, {
        article: { title: "Event sourcing", description: "d", body: "b", tagList: ["x"] },
      })) as { article: { slug: string } };

      expect(drain()).toEqual([{ type: "article.created", article: await refOf(article.slug) }]);
    });

    it("when the title changes, then article.updated carries the new slug and the previous one", async () => {
      const author = await registerUser(service);
      const stored = await createArticle(db(), author.id);

      const { article } = (await call("PUT", `/articles/${stored.slug}`, author, 200, {
        article: { title: "A wholly new title" },
      })) as { article: { slug: string } };

      expect(article.slug).not.toBe(stored.slug);
      expect(drain()).toEqual([
        {
          type: "article.updated",
          article: { id: stored.id, slug: article.slug, authorId: author.id },
          previousSlug: stored.slug,
        },
      ]);
    });

    it("when only the body changes, then article.updated with previousSlug equal to the slug", async () => {
      const author = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      await call("PUT", `/articles/${stored.slug}`, author, 200, { article: { body: "New" } });
      expect(drain()).toEqual([
        {
          type: "article.updated",
          article: { id: stored.id, slug: stored.slug, authorId: author.id },
          previousSlug: stored.slug,
        },
      ]);
    });

    it("when an article is deleted, then article.deleted naming who deleted it", async () => {
      const author = await registerUser(service);
      const moderator = await registerWithRole(service, "MODERATOR");
      const own = await createArticle(db(), author.id);
      const other = await createArticle(db(), author.id);

      await call("DELETE", `/articles/${own.slug}`, author, 204);
      await call("DELETE", `/articles/${other.slug}`, moderator, 204);

      expect(drain()).toEqual([
        {
          type: "article.deleted",
          article: { id: own.id, slug: own.slug, authorId: author.id },
          deletedBy: author.id,
        },
        {
          type: "article.deleted",
          article: { id: other.id, slug: other.slug, authorId: author.id },
          deletedBy: moderator.id,
        },
      ]);
    });

    it("when a write is refused (403, 404, 422), then nothing is published", async () => {
      const author = await registerUser(service);
      const stranger = await registerUser(service);
      const stored = await createArticle(db(), author.id);

      await call("PUT", `/articles/${stored.slug}`, stranger, 403, { article: { body: "Mine" } });
      await call("DELETE", `/articles/${stored.slug}`, stranger, 403);
      await call("DELETE", "/articles/no-such-article", author, 404);
      await call("POST", "/articles", author, 422, { article: { title: "" } });
      await call("POST", "/articles/no-such-article/favorite", stranger, 404);
      await call("POST", `/articles/${stored.slug}/comments`, stranger, 422, {
        comment: { body: " " },
      });

      expect(drain()).toEqual([]);
    });
  });

  describe("favorites", () => {
    it("when a reader favorites, then article.favorited with the new count and notification.created for the author", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const second = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      const article = { id: stored.id, slug: stored.slug, authorId: author.id };

      await call("POST", `/articles/${stored.slug}/favorite`, reader, 200);
      expect(drain()).toEqual([
        { type: "article.favorited", article, userId: reader.id, favoritesCount: 1 },
        {
          type: "notification.created",
          recipientId: author.id,
          notificationId: await latestNotificationId(author.id),
        },
      ]);

      await call("POST", `/articles/${stored.slug}/favorite`, second, 200);
      expect(drain()).toEqual([
        { type: "article.favorited", article, userId: second.id, favoritesCount: 2 },
        {
          type: "notification.created",
          recipientId: author.id,
          notificationId: await latestNotificationId(author.id),
        },
      ]);
    });

    it("when the favorite is repeated, then nothing is published the second time", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await createArticle(db(), author.id);

      await call("POST", `/articles/${stored.slug}/favorite`, reader, 200);
      expect(drain().map((event) => event.type)).toEqual([
        "article.favorited",
        "notification.created",
      ]);
      await call("POST", `/articles/${stored.slug}/favorite`, reader, 200);
      expect(drain()).toEqual([]);
    });

    it("when unfavorited, then article.unfavorited once; unfavoriting again or favoriting again publishes no new notification", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      const article = { id: stored.id, slug: stored.slug, authorId: author.id };
      await call("POST", `/articles/${stored.slug}/favorite`, reader, 200);
      drain();

      await call("DELETE", `/articles/${stored.slug}/favorite`, reader, 200);
      await call("DELETE", `/articles/${stored.slug}/favorite`, reader, 200);
      expect(drain()).toEqual([
        { type: "article.unfavorited", article, userId: reader.id, favoritesCount: 0 },
      ]);

      await call("POST", `/articles/${stored.slug}/favorite`, reader, 200);
      expect(drain()).toEqual([
        { type: "article.favorited", article, userId: reader.id, favoritesCount: 1 },
      ]);
    });

    it("when the author favorites their own article, then article.favorited and no notification", async () => {
      const author = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      await call("POST", `/articles/${stored.slug}/favorite`, author, 200);
      expect(drain()).toEqual([
        {
          type: "article.favorited",
          article: { id: stored.id, slug: stored.slug, authorId: author.id },
          userId: author.id,
          favoritesCount: 1,
        },
      ]);
    });
  });

  describe("comments", () => {
    it("when a reader comments, then comment.created and notification.created for the author", async () => {
      const author = await registerUser(service);
      const reader = await registerUser(service);
      const stored = await createArticle(db(), author.id);

      const { comment } = (await call("POST", `/articles/${stored.slug}/comments`, reader, 201, {
        comment: { body: "Hello" },
      })) as { comment: { id: number } };

      expect(drain()).toEqual([
        {
          type: "comment.created",
          article: { id: stored.id, slug: stored.slug, authorId: author.id },
          commentId: comment.id,
          authorId: reader.id,
        },
        {
          type: "notification.created",
          recipientId: author.id,
          notificationId: await latestNotificationId(author.id),
        },
      ]);
    });

    it("when the author comments on their own article, then only comment.created", async () => {
      const author = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      await call("POST", `/articles/${stored.slug}/comments`, author, 201, {
        comment: { body: "Note" },
      });
      expect(drain().map((event) => event.type)).toEqual(["comment.created"]);
    });

    it("when a comment is deleted by its author or a moderator, then comment.deleted naming who", async () => {
      const author = await registerUser(service);
      const moderator = await registerWithRole(service, "MODERATOR");
      const stored = await createArticle(db(), author.id);
      const own = await createComment(db(), stored.id, author.id);
      const other = await createComment(db(), stored.id, author.id);
      const article = { id: stored.id, slug: stored.slug, authorId: author.id };

      await call("DELETE", `/articles/${stored.slug}/comments/${own.id}`, author, 204);
      await call("DELETE", `/articles/${stored.slug}/comments/${other.id}`, moderator, 204);

      expect(drain()).toEqual([
        { type: "comment.deleted", article, commentId: own.id, deletedBy: author.id },
        { type: "comment.deleted", article, commentId: other.id, deletedBy: moderator.id },
      ]);
    });
  });

  describe("follows", () => {
    it("when followed, then profile.followed and notification.created; repeats publish nothing new", async () => {
      const target = await registerUser(service);
      const fan = await registerUser(service);
      const path = `/profiles/${target.username}/follow`;

      await call("POST", path, fan, 200);
      expect(drain()).toEqual([
        { type: "profile.followed", followerId: fan.id, followingId: target.id },
        {
          type: "notification.created",
          recipientId: target.id,
          notificationId: await latestNotificationId(target.id),
        },
      ]);

      await call("POST", path, fan, 200);
      expect(drain()).toEqual([]);

      await call("DELETE", path, fan, 200);
      await call("DELETE", path, fan, 200);
      expect(drain()).toEqual([
        { type: "profile.unfollowed", followerId: fan.id, followingId: target.id },
      ]);

      await call("POST", path, fan, 200);
      expect(drain()).toEqual([
        { type: "profile.followed", followerId: fan.id, followingId: target.id },
      ]);
    });
  });

  describe("changes that roll back", () => {
    it("when a moderator's delete rolls back with its audit entry, then nothing is published", async () => {
      const author = await registerUser(service);
      const moderator = await registerWithRole(service, "MODERATOR");
      const stored = await createArticle(db(), author.id);
      const comment = await createComment(db(), stored.id, author.id);

      await withAuditInsertsFailing(db(), async () => {
        for (const path of [
          `/articles/${stored.slug}/comments/${comment.id}`,
          `/articles/${stored.slug}`,
        ]) {
          const response = await fetch(api(path), {
            method: "DELETE",
            headers: tokenHeader(moderator.token),
          });
          await response.text();
          expect(response.status).toBeGreaterThanOrEqual(500);
        }
      });

      expect(drain()).toEqual([]);
      expect(await db().article.count({ where: { id: stored.id } })).toBe(1);

      // Once the audit log accepts entries again, the same delete goes through and is announced.
      await call("DELETE", `/articles/${stored.slug}`, moderator, 204);
      expect(drain()).toEqual([
        {
          type: "article.deleted",
          article: { id: stored.id, slug: stored.slug, authorId: author.id },
          deletedBy: moderator.id,
        },
      ]);
    });
  });

  describe("changes that roll back, continued", () => {
    it("when an admin's edit of someone else's article rolls back with its audit entry, then nothing is published", async () => {
      const author = await registerUser(service);
      const admin = await registerWithRole(service, "ADMIN");
      const stored = await createArticle(db(), author.id);

      await withAuditInsertsFailing(db(), async () => {
        const response = await updateArticle(service, admin.token, stored.slug, {
          title: "Rolled back",
        });
        await response.text();
        expect(response.status).toBeGreaterThanOrEqual(500);
      });

      expect(drain()).toEqual([]);
      expect((await db().article.findUniqueOrThrow({ where: { id: stored.id } })).title).toBe(
        stored.title,
      );
    });
  });

  describe("handlers", () => {
    it("when a handler throws or rejects, then the change still answers, other handlers still run, and the failure is logged", async () => {
      const { logger, lines } = capturingLogger("error");
      const logged = await startTestService({ logger });
      const seen: string[] = [];
      const offs = [
        logged.container.events.subscribe(() => {
          throw new Error("sync handler failure");
        }),
        logged.container.events.subscribe(() => Promise.reject(new Error("async handler failure"))),
        logged.container.events.subscribe((event) => {
          seen.push(event.type);
        }),
      ];
      try {
        const author = await registerUser(logged);
        const reader = await registerUser(logged);
        const stored = await createArticle(logged.container.db, author.id);

        const response = await favoriteArticle(logged, reader.token, stored.slug);
        expect(response.status).toBe(200);
        expect(
          ((await response.json()) as { article: { favoritesCount: number } }).article,
        ).toMatchObject({ favoritesCount: 1 });
        expect(seen).toEqual(["article.favorited", "notification.created"]);
        await logged.container.events.idle();
        const failures = lines()
          .map((line) => JSON.parse(line) as { msg?: string; event?: string })
          .filter((entry) => entry.msg === "a domain event handler failed");
        expect(failures.map((entry) => entry.event).sort()).toEqual([
          "article.favorited",
          "article.favorited",
          "notification.created",
          "notification.created",
        ]);
        expect(await logged.container.db.favorite.count()).toBe(1);
      } finally {
        for (const off of offs) off();
        await logged.stop();
      }
    });

    it("when unsubscribed, then the handler receives nothing more", async () => {
      const author = await registerUser(service);
      const stored = await createArticle(db(), author.id);
      const late: DomainEvent[] = [];
      const off = service.container.events.subscribe((event) => {
        late.push(event);
      });
      await call("POST", `/articles/${stored.slug}/favorite`, author, 200);
      off();
      await call("DELETE", `/articles/${stored.slug}/favorite`, author, 200);
      expect(late.map((event) => event.type)).toEqual(["article.favorited"]);
      expect(drain().map((event) => event.type)).toEqual([
        "article.favorited",
        "article.unfavorited",
      ]);
    });
  });
});

describe("waiting for handlers", () => {
  const event: DomainEvent = { type: "profile.followed", followerId: 1, followingId: 2 };
  const settled = async (promise: Promise<void>) => {
    let done = false;
    void promise.then(() => (done = true));
    // A macrotask runs only once every pending promise reaction has run.
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  };

  it("when no handler is running, then idle() resolves at once", async () => {
    const events = new DomainEvents(() => undefined);
    events.subscribe(() => undefined);
    events.publish(event);
    expect(await settled(events.idle())).toBe(true);
  });

  it("when handlers are still running, then idle() waits for every one, those started meanwhile and failing ones included", async () => {
    const failures: unknown[] = [];
    const events = new DomainEvents((error) => failures.push(error));
    const releases: Array<(outcome: "resolve" | "reject") => void> = [];
    events.subscribe(
      () =>
        new Promise<void>((resolve, reject) => {
          releases.push((outcome) => (outcome === "resolve" ? resolve() : reject(new Error("x"))));
        }),
    );

    events.publish(event);
    const idle = events.idle();
    events.publish(event); // started while idle() waits
    expect(releases).toHaveLength(2);

    releases[0]?.("resolve");
    expect(await settled(idle)).toBe(false);
    releases[1]?.("reject");
    expect(await settled(idle)).toBe(true);
    expect(failures).toHaveLength(1);
  });
});
