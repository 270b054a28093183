import type { Role } from "../../../src/generated/prisma/client";
import { auth, expectErrorWithCode, json, type AuditPage } from "../../support/api";
import {
  postJson,
  registerUser,
  registerWithRole,
  tokenHeader,
  type RegisteredUser,
} from "../../support/auth";
import { resetState, withAuditInsertsFailing } from "../../support/database";
import { createUser } from "../../support/factories";
import { startTestService, useTestService } from "../../support/service";

interface AdminUser {
  username: string;
  email: string;
  bio: string | null;
  image: string | null;
  role: Role;
  status: "ACTIVE" | "BANNED";
  createdAt: string;
}

interface UsersPage {
  users: AdminUser[];
  usersCount: number;
}

describe("administration", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const get = (path: string, token?: string) => fetch(api(path), { headers: auth(token) });
  const listUsers = (query: string, token?: string) => get(`/admin/users${query}`, token);
  const readAudit = (query: string, token?: string) => get(`/admin/audit-log${query}`, token);

  const assignRole = (token: string | undefined, username: string, body: unknown) =>
    postJson(api(`/admin/users/${username}/role`), body, auth(token), "PATCH");
  const setRole = (token: string | undefined, username: string, role: Role) =>
    assignRole(token, username, { role });

  /** Without a body unless one is given: the reason is optional. */
  const ban = (token: string | undefined, username: string, body?: unknown) =>
    body === undefined
      ? fetch(api(`/admin/users/${username}/ban`), { method: "POST", headers: auth(token) })
      : postJson(api(`/admin/users/${username}/ban`), body, auth(token));
  const unban = (token: string | undefined, username: string) =>
    fetch(api(`/admin/users/${username}/unban`), { method: "POST", headers: auth(token) });

  const login = (user: RegisteredUser) =>
    postJson(api("/users/login"), { user: { email: user.email, password: user.password } });
  /** 200 while the token's session lives, 401 once it has ended. */
  const currentUserStatus = async (token: string) => (await get("/user", token)).status;

  const auditRows = () => db().auditLog.findMany({ orderBy: { id: "asc" } });
  const stored = (id: number) => db().user.findUniqueOrThrow({ where: { id } });

  /** The error envelope with its code and request id, and nothing else. */
  async function expectError(
    response: Response,
    status: number,
    code: string,
    errors?: Record<string, string[]>,
  ): Promise<void> {
    const body = await expectErrorWithCode(response, status, code, errors);
    expect(Object.keys(body).sort()).toEqual(["code", "errors", "requestId"]);
  }

  describe("GET /api/admin/users", () => {
    it("when a moderator or an admin asks, then 200 with the users' administrative details", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const admin = await registerWithRole(service, "ADMIN");

      for (const caller of [moderator, admin]) {
        const page = await json<UsersPage>(await listUsers("", caller.token));
        expect(page.usersCount).toBe(2);
        expect(page.users.map((user) => user.username).sort()).toEqual(
          [moderator.username, admin.username].sort(),
        );
      }
      const page = await json<UsersPage>(await listUsers("", admin.token));
      const row = await stored(moderator.id);
      expect(page.users.find((user) => user.username === moderator.username)).toEqual({
        username: moderator.username,
        email: moderator.email,
        bio: null,
        image: null,
        role: "MODERATOR",
        status: "ACTIVE",
        createdAt: row.createdAt.toISOString(),
      });
    });

    it("when a user asks, then 403", async () => {
      const user = await registerUser(service);
      await expectError(await listUsers("", user.token), 403, "FORBIDDEN", {
        user: ["forbidden"],
      });
    });

    it("when nobody is signed in, or the token is garbage, then 401 with a challenge", async () => {
      const anonymous = await listUsers("");
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer /);
      await expectError(anonymous, 401, "UNAUTHENTICATED", { token: ["is missing"] });
      await expectError(await listUsers("", "not.a.jwt"), 401, "UNAUTHENTICATED");
    });

    it("when paging with limit and offset, then pages follow newest first and usersCount is the total", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      for (let i = 0; i < 24; i++) await createUser(db());
      const newestFirst = (
        await db().user.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] })
      ).map((user) => user.username);
      expect(newestFirst).toHaveLength(25);

      const first = await json<UsersPage>(await listUsers("", moderator.token));
      expect(first.usersCount).toBe(25);
      expect(first.users.map((user) => user.username)).toEqual(newestFirst.slice(0, 20));

      const seen: string[] = [];
      for (let offset = 0; offset < 25; offset += 10) {
        const page = await json<UsersPage>(
          await listUsers(`?limit=10&offset=${offset}`, moderator.token),
        );
        expect(page.usersCount).toBe(25);
        expect(page.users).toHaveLength(Math.min(10, 25 - offset));
        seen.push(...page.users.map((user) => user.username));
      }
      expect(seen).toEqual(newestFirst);

      const beyond = await json<UsersPage>(await listUsers("?offset=100", moderator.token));
      expect(beyond).toEqual({ users: [], usersCount: 25 });
    });

    it("when limit is exactly MAX_PAGE_SIZE, then it is accepted", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const max = service.container.config.http.maxPageSize;
      const page = await json<UsersPage>(await listUsers(`?limit=${max}`, moderator.token));
      expect(page.usersCount).toBe(1);
    });

    it("when filtering by role, status or q, then only matching users are listed and counted", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const moderator = await createUser(db(), {
        username: "Grace_Mod",
        email: "grace@moderators.example",
        role: "MODERATOR",
      });
      const banned = await createUser(db(), {
        username: "mallory",
        email: "Mallory@Spam.example",
        status: "BANNED",
      });
      const bannedModerator = await createUser(db(), {
        username: "old_mod",
        email: "old@moderators.example",
        role: "MODERATOR",
        status: "BANNED",
      });
      await createUser(db(), { username: "plain", email: "plain@example.com" });

      const names = async (query: string) => {
        const page = await json<UsersPage>(await listUsers(query, admin.token));
        expect(page.usersCount).toBe(page.users.length);
        return page.users.map((user) => user.username).sort();
      };

      expect(await names("?role=MODERATOR")).toEqual(
        [moderator.username, bannedModerator.username].sort(),
      );
      expect(await names("?role=ADMIN")).toEqual([admin.username]);
      expect(await names("?status=BANNED")).toEqual(
        [banned.username, bannedModerator.username].sort(),
      );
      expect(await names("?status=ACTIVE")).toHaveLength(3);
      expect(await names("?role=MODERATOR&status=ACTIVE")).toEqual([moderator.username]);
      // q: part of the username or of the email, in any case.
      expect(await names("?q=GRACE_m")).toEqual([moderator.username]);
      expect(await names("?q=spam.EXAMPLE")).toEqual([banned.username]);
      expect(await names("?q=moderators")).toEqual(
        [moderator.username, bannedModerator.username].sort(),
      );
      expect(await names("?q=moderators&status=BANNED")).toEqual([bannedModerator.username]);
      expect(await names("?q=nobody-has-this")).toEqual([]);
    });

    it("when q holds % or _, then they match themselves, not any text", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await createUser(db(), { username: "alpha_one", email: "a1@example.com" });
      await createUser(db(), { username: "alphaxone", email: "a2@example.com" });

      const percent = await json<UsersPage>(
        await listUsers(`?q=${encodeURIComponent("%")}`, admin.token),
      );
      expect(percent.usersCount).toBe(0);
      const underscore = await json<UsersPage>(await listUsers("?q=a_o", admin.token));
      expect(underscore.users.map((user) => user.username)).toEqual(["alpha_one"]);
    });

    it.each([
      ["?limit=0", "limit"],
      ["?limit=abc", "limit"],
      ["?limit=-1", "limit"],
      ["?limit=1.5", "limit"],
      ["?limit=1e2", "limit"],
      ["?limit=", "limit"],
      ["?limit=9999999999999", "limit"],
      ["?limit=1&limit=2", "limit"],
      ["?offset=-1", "offset"],
      ["?offset=abc", "offset"],
      ["?offset=1000000001", "offset"],
      ["?role=SUPERUSER", "role"],
      ["?role=admin", "role"],
      ["?status=GONE", "status"],
      ["?q=", "q"],
      [`?q=${"x".repeat(101)}`, "q"],
    ])("when the query is %s, then 422 naming %s, never 500", async (query, field) => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const response = await listUsers(query, moderator.token);
      const body = await json<{ errors: Record<string, string[]>; code: string }>(response, 422);
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(Object.keys(body.errors)).toEqual([field]);
    });

    it("when MAX_PAGE_SIZE is below 20 and no limit is given, then a page holds MAX_PAGE_SIZE", async () => {
      const small = await startTestService({ env: { MAX_PAGE_SIZE: "2" } });
      try {
        const moderator = await registerWithRole(small, "MODERATOR");
        for (let i = 0; i < 3; i++) await registerUser(small);
        const body = await json<{ users: unknown[]; usersCount: number }>(
          await fetch(`${small.url}/api/admin/users`, { headers: tokenHeader(moderator.token) }),
        );
        expect(body.users).toHaveLength(2);
        expect(body.usersCount).toBeGreaterThanOrEqual(4);
      } finally {
        await small.stop();
      }
    });

    it("when limit is above MAX_PAGE_SIZE, then 422 saying the maximum", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const max = service.container.config.http.maxPageSize;
      await expectError(
        await listUsers(`?limit=${max + 1}`, moderator.token),
        422,
        "VALIDATION_FAILED",
        { limit: [`must be at most ${max}`] },
      );
    });
  });

  describe("PATCH /api/admin/users/:username/role", () => {
    it("when an admin makes a user a moderator, then 200, an audit row, and the user's old token ends", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      expect(await currentUserStatus(user.token)).toBe(200);

      const response = await setRole(admin.token, user.username, "MODERATOR");

      const { user: body } = await json<{ user: AdminUser }>(response);
      expect(body).toMatchObject({ username: user.username, role: "MODERATOR", status: "ACTIVE" });
      expect((await stored(user.id)).role).toBe("MODERATOR");
      expect(await auditRows()).toEqual([
        expect.objectContaining({
          actorId: admin.id,
          action: "user.role.assign",
          targetType: "user",
          targetId: String(user.id),
          details: { username: user.username, from: "USER", to: "MODERATOR" },
        }),
      ]);
      // The old token carries USER; its session is gone, and so is its refresh token.
      expect(await currentUserStatus(user.token)).toBe(401);
      expect(
        (await postJson(api("/users/refresh"), { refreshToken: user.refreshToken })).status,
      ).toBe(401);
      // Signing in again gives a token with the new role.
      const { user: signedIn } = await json<{ user: { token: string; role: Role } }>(
        await login(user),
      );
      expect(signedIn.role).toBe("MODERATOR");
      expect((await listUsers("", signedIn.token)).status).toBe(200);
      // The admin's own session is untouched.
      expect(await currentUserStatus(admin.token)).toBe(200);
    });

    it("when a demotion committed but its sessions could not be ended, then assigning the same role again ends them", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const demoted = await registerWithRole(service, "ADMIN");
      // As if an earlier demotion committed and then Redis was away when it ended the sessions,
      // which still carry ADMIN.
      await service.container.db.user.update({ where: { id: demoted.id }, data: { role: "USER" } });
      expect((await listUsers("", demoted.token)).status).toBe(200);

      expect((await setRole(admin.token, demoted.username, "USER")).status).toBe(200);

      expect(await currentUserStatus(demoted.token)).toBe(401);
      expect(await currentUserStatus(admin.token)).toBe(200);
    });

    it("when the username is given in another case, then the same user is changed", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      const response = await setRole(admin.token, user.username.toUpperCase(), "MODERATOR");
      expect(response.status).toBe(200);
      expect((await stored(user.id)).role).toBe("MODERATOR");
    });

    it("when a moderator or a user tries, then 403 and nothing changes", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      const target = await registerUser(service);

      await expectError(
        await setRole(moderator.token, target.username, "MODERATOR"),
        403,
        "FORBIDDEN",
        {
          user: ["forbidden"],
        },
      );
      await expectError(await setRole(user.token, target.username, "MODERATOR"), 403, "FORBIDDEN");
      await expectError(
        await setRole(undefined, target.username, "MODERATOR"),
        401,
        "UNAUTHENTICATED",
      );

      expect((await stored(target.id)).role).toBe("USER");
      expect(await auditRows()).toHaveLength(0);
      expect(await currentUserStatus(target.token)).toBe(200);
    });

    it("when a moderator tries to raise their own role, then 403 from the permission itself", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      await expectError(
        await setRole(moderator.token, moderator.username, "ADMIN"),
        403,
        "FORBIDDEN",
        { user: ["forbidden"] },
      );
      expect((await stored(moderator.id)).role).toBe("MODERATOR");
      expect(await auditRows()).toHaveLength(0);
    });

    it("when the username is unknown, then 404", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await expectError(await setRole(admin.token, "nobody_here", "MODERATOR"), 404, "NOT_FOUND", {
        user: ["not found"],
      });
      expect(await auditRows()).toHaveLength(0);
    });

    it("when the username in the path holds a NUL byte, then 422, not a database error", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await expectError(await setRole(admin.token, "%00", "MODERATOR"), 422, "VALIDATION_FAILED");
      await expectError(await ban(admin.token, "a%00b"), 422, "VALIDATION_FAILED");
    });

    it("when the username in the path is not valid percent-encoding, then 400, not 500", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await expectError(await setRole(admin.token, "%E0%A4%A", "MODERATOR"), 400, "BAD_REQUEST");
    });

    it.each([
      [{ role: "SUPERUSER" }],
      [{ role: "moderator" }],
      [{ role: 1 }],
      [{ role: null }],
      [{}],
      [[]],
    ])("when the body is %j, then 422 naming the role and nothing changes", async (body) => {
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      const response = await assignRole(admin.token, user.username, body);
      const parsed = await json<{ errors: Record<string, string[]>; code: string }>(response, 422);
      expect(parsed.code).toBe("VALIDATION_FAILED");
      expect(parsed.errors.role ?? parsed.errors.body).toBeDefined();
      expect((await stored(user.id)).role).toBe("USER");
      expect(await auditRows()).toHaveLength(0);
    });

    it("when the role is already the user's, then 200 with no audit row, and the sessions end as for any assignment (so a retry finishes one whose revocation failed)", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const moderator = await registerWithRole(service, "MODERATOR");
      expect((await setRole(admin.token, moderator.username, "MODERATOR")).status).toBe(200);
      expect(await auditRows()).toHaveLength(0);
      expect(await currentUserStatus(moderator.token)).toBe(401);
    });

    it("when an admin demotes themselves while another admin exists, then it works and their session ends", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const other = await registerWithRole(service, "ADMIN");

      const { user } = await json<{ user: AdminUser }>(
        await setRole(admin.token, admin.username, "MODERATOR"),
      );

      expect(user.role).toBe("MODERATOR");
      expect((await stored(admin.id)).role).toBe("MODERATOR");
      expect(await auditRows()).toEqual([
        expect.objectContaining({
          actorId: admin.id,
          targetId: String(admin.id),
          details: { username: admin.username, from: "ADMIN", to: "MODERATOR" },
        }),
      ]);
      expect(await currentUserStatus(admin.token)).toBe(401);
      expect(await currentUserStatus(other.token)).toBe(200);
    });

    it("when an admin demotes another admin, then the other's token ends", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const other = await registerWithRole(service, "ADMIN");
      expect((await setRole(admin.token, other.username, "USER")).status).toBe(200);
      expect((await stored(other.id)).role).toBe("USER");
      expect(await currentUserStatus(other.token)).toBe(401);
    });

    it("when the last admin would be demoted, then 409 and nothing changes", async () => {
      const admin = await registerWithRole(service, "ADMIN");

      await expectError(await setRole(admin.token, admin.username, "USER"), 409, "CONFLICT", {
        role: ["cannot be taken from the last admin"],
      });

      expect((await stored(admin.id)).role).toBe("ADMIN");
      expect(await auditRows()).toHaveLength(0);
      expect(await currentUserStatus(admin.token)).toBe(200);
    });

    it("when the only other admin is banned, then the last active admin still cannot be demoted", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await createUser(db(), { role: "ADMIN", status: "BANNED" });

      await expectError(await setRole(admin.token, admin.username, "MODERATOR"), 409, "CONFLICT");
      expect((await stored(admin.id)).role).toBe("ADMIN");
      expect(await auditRows()).toHaveLength(0);
    });

    it("when two admins demote each other at once, then exactly one succeeds and one admin remains", async () => {
      for (let round = 0; round < 4; round++) {
        await resetState(service.container);
        const first = await registerWithRole(service, "ADMIN");
        const second = await registerWithRole(service, "ADMIN");

        const responses = await Promise.all([
          setRole(first.token, second.username, "USER"),
          setRole(second.token, first.username, "USER"),
        ]);

        const statuses = responses.map((response) => response.status);
        expect(statuses.filter((status) => status === 200)).toHaveLength(1);
        // The loser's role (403) or its session (401) was gone by the time it was checked.
        const loser = statuses.find((status) => status !== 200);
        expect([401, 403]).toContain(loser);
        expect(await db().user.count({ where: { role: "ADMIN" } })).toBe(1);
        expect(await auditRows()).toHaveLength(1);
      }
    });

    it("when the actor's role was taken away after their token was issued, then the change is refused", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      // Straight in the database: the token still says ADMIN and its session lives.
      await db().user.update({ where: { id: admin.id }, data: { role: "USER" } });

      await expectError(await setRole(admin.token, user.username, "MODERATOR"), 403, "FORBIDDEN");
      expect((await stored(user.id)).role).toBe("USER");
      expect(await auditRows()).toHaveLength(0);
    });
  });

  describe("POST /api/admin/users/:username/ban and /unban", () => {
    it("when a moderator bans a user, then BANNED, the user's token ends at once, login is 403, and an audit row keeps the reason", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      expect(await currentUserStatus(user.token)).toBe(200);

      const { user: body } = await json<{ user: AdminUser }>(
        await ban(moderator.token, user.username, { reason: "  Spam, again  " }),
      );

      expect(body).toMatchObject({ username: user.username, status: "BANNED", role: "USER" });
      expect((await stored(user.id)).status).toBe("BANNED");
      expect(await currentUserStatus(user.token)).toBe(401);
      expect(
        (await postJson(api("/users/refresh"), { refreshToken: user.refreshToken })).status,
      ).toBe(401);
      await expectError(await login(user), 403, "FORBIDDEN", { user: ["is banned"] });
      expect(await auditRows()).toEqual([
        expect.objectContaining({
          actorId: moderator.id,
          action: "user.ban",
          targetType: "user",
          targetId: String(user.id),
          details: { username: user.username, reason: "Spam, again" },
        }),
      ]);
    });

    it("when a banned user is unbanned, then ACTIVE, an audit row, and they can sign in again", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      expect((await ban(moderator.token, user.username)).status).toBe(200);

      const { user: body } = await json<{ user: AdminUser }>(
        await unban(moderator.token, user.username),
      );

      expect(body.status).toBe("ACTIVE");
      expect((await stored(user.id)).status).toBe("ACTIVE");
      const rows = await auditRows();
      expect(rows.map((row) => [row.action, row.details])).toEqual([
        ["user.ban", { username: user.username }],
        ["user.unban", { username: user.username }],
      ]);
      // The sessions ended by the ban stay ended; a new sign-in works.
      expect(await currentUserStatus(user.token)).toBe(401);
      const { user: signedIn } = await json<{ user: { token: string } }>(await login(user));
      expect(await currentUserStatus(signedIn.token)).toBe(200);
    });

    it("when a moderator tries to ban a moderator or an admin, then 403 and nothing changes", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const otherModerator = await registerWithRole(service, "MODERATOR");
      const admin = await registerWithRole(service, "ADMIN");

      await expectError(await ban(moderator.token, otherModerator.username), 403, "FORBIDDEN", {
        user: ["has the same or a higher role than yours"],
      });
      // The message names the role (its article, "a admin", is off; reported, not pinned here).
      const refused = await ban(moderator.token, admin.username);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        code: "FORBIDDEN",
        errors: { user: ["has the same or a higher role than yours"] },
      });
      await expectError(await unban(moderator.token, admin.username), 403, "FORBIDDEN");

      for (const target of [otherModerator, admin]) {
        expect((await stored(target.id)).status).toBe("ACTIVE");
        expect(await currentUserStatus(target.token)).toBe(200);
      }
      expect(await auditRows()).toHaveLength(0);
    });

    it("when an admin bans a moderator, then the moderator is banned and signed out", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const moderator = await registerWithRole(service, "MODERATOR");
      expect((await ban(admin.token, moderator.username)).status).toBe(200);
      expect((await stored(moderator.id)).status).toBe("BANNED");
      expect(await currentUserStatus(moderator.token)).toBe(401);
    });

    it("when anyone tries to ban or unban themselves, then 403", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const admin = await registerWithRole(service, "ADMIN");
      for (const actor of [moderator, admin]) {
        await expectError(await ban(actor.token, actor.username), 403, "FORBIDDEN", {
          user: ["cannot be yourself"],
        });
        await expectError(await unban(actor.token, actor.username), 403, "FORBIDDEN");
        expect((await stored(actor.id)).status).toBe("ACTIVE");
        expect(await currentUserStatus(actor.token)).toBe(200);
      }
      expect(await auditRows()).toHaveLength(0);
    });

    it("when a user or nobody tries, then 403 or 401", async () => {
      const user = await registerUser(service);
      const target = await registerUser(service);
      await expectError(await ban(user.token, target.username), 403, "FORBIDDEN", {
        user: ["forbidden"],
      });
      await expectError(await ban(undefined, target.username), 401, "UNAUTHENTICATED");
      await expectError(await unban(user.token, target.username), 403, "FORBIDDEN");
      expect((await stored(target.id)).status).toBe("ACTIVE");
      expect(await auditRows()).toHaveLength(0);
    });

    it("when the username is unknown, then 404", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      await expectError(await ban(moderator.token, "nobody_here"), 404, "NOT_FOUND");
      await expectError(await unban(moderator.token, "nobody_here"), 404, "NOT_FOUND");
    });

    it("when a user is banned twice, then both answer 200 and there is one audit row", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      expect((await ban(moderator.token, user.username, { reason: "first" })).status).toBe(200);
      const again = await json<{ user: AdminUser }>(
        await ban(moderator.token, user.username, { reason: "second" }),
      );
      expect(again.user.status).toBe("BANNED");
      const rows = await auditRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.details).toMatchObject({ reason: "first" });
    });

    it("when a ban is repeated, then it ends any session the first one failed to end", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      expect((await ban(moderator.token, user.username)).status).toBe(200);
      // As if Redis had failed after the first ban committed: a session still stands.
      const stale = await service.container.services.auth.startSession(
        { id: user.id, role: "USER" },
        { ip: null, userAgent: null },
      );
      expect(await currentUserStatus(stale.accessToken)).toBe(401); // the user is banned…
      expect(await service.container.redis.exists(`session:${stale.sessionId}`)).toBe(1); // …but the session is still in Redis

      expect((await ban(moderator.token, user.username)).status).toBe(200);
      expect(await service.container.redis.exists(`session:${stale.sessionId}`)).toBe(0);
    });

    it("when two bans of one user arrive at once, then both answer 200 and there is one audit row", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      const responses = await Promise.all([
        ban(moderator.token, user.username),
        ban(admin.token, user.username),
      ]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      expect(await auditRows()).toHaveLength(1);
    });

    it("when an active user is unbanned, then 200 and no audit row", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      const { user: body } = await json<{ user: AdminUser }>(
        await unban(moderator.token, user.username),
      );
      expect(body.status).toBe("ACTIVE");
      expect(await auditRows()).toHaveLength(0);
      expect(await currentUserStatus(user.token)).toBe(200);
    });

    it.each([
      [{ reason: "" }],
      [{ reason: "   " }],
      [{ reason: "x".repeat(501) }],
      [{ reason: 5 }],
      [[]],
    ])("when the ban body is %j, then 422 and nothing changes", async (body) => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      await expectError(await ban(moderator.token, user.username, body), 422, "VALIDATION_FAILED");
      expect((await stored(user.id)).status).toBe("ACTIVE");
      expect(await currentUserStatus(user.token)).toBe(200);
      expect(await auditRows()).toHaveLength(0);
    });

    it("when the moderator was banned after their token was issued, then their ban is refused", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      // Straight in the database, so the moderator's session is still live.
      await db().user.update({ where: { id: moderator.id }, data: { status: "BANNED" } });

      await expectError(await ban(moderator.token, user.username), 403, "FORBIDDEN");
      expect((await stored(user.id)).status).toBe("ACTIVE");
      expect(await auditRows()).toHaveLength(0);
    });
  });

  describe("GET /api/admin/audit-log", () => {
    it("when an admin reads it, then 200 with entries newest first, entriesCount, and a filter by action", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);
      expect((await ban(admin.token, user.username, { reason: "spam" })).status).toBe(200);
      expect((await unban(admin.token, user.username)).status).toBe(200);
      expect((await setRole(admin.token, user.username, "MODERATOR")).status).toBe(200);
      expect((await ban(admin.token, user.username)).status).toBe(200);

      const all = await json<AuditPage>(await readAudit("", admin.token));
      expect(all.entriesCount).toBe(4);
      expect(all.entries.map((entry) => entry.action)).toEqual([
        "user.ban",
        "user.role.assign",
        "user.unban",
        "user.ban",
      ]);
      const ids = all.entries.map((entry) => entry.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      const times = all.entries.map((entry) => Date.parse(entry.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(all.entries[3]).toEqual({
        id: expect.any(Number) as number,
        action: "user.ban",
        actor: admin.username,
        targetType: "user",
        targetId: String(user.id),
        details: { username: user.username, reason: "spam" },
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      });

      const bans = await json<AuditPage>(await readAudit("?action=user.ban", admin.token));
      expect(bans.entriesCount).toBe(2);
      expect(bans.entries.map((entry) => entry.action)).toEqual(["user.ban", "user.ban"]);
      expect(bans.entries[0]?.details).toEqual({ username: user.username });

      const none = await json<AuditPage>(await readAudit("?action=user.delete", admin.token));
      expect(none).toEqual({ entries: [], entriesCount: 0 });

      const page = await json<AuditPage>(await readAudit("?limit=1&offset=1", admin.token));
      expect(page.entriesCount).toBe(4);
      expect(page.entries.map((entry) => entry.id)).toEqual([ids[1]]);
    });

    it("when a moderator or a user reads it, then 403; nobody signed in, 401", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      await expectError(await readAudit("", moderator.token), 403, "FORBIDDEN", {
        audit: ["forbidden"],
      });
      await expectError(await readAudit("", user.token), 403, "FORBIDDEN");
      await expectError(await readAudit(""), 401, "UNAUTHENTICATED");
    });

    it.each([["?limit=0"], ["?limit=abc"], ["?offset=-1"], ["?action="]])(
      "when the query is %s, then 422",
      async (query) => {
        const admin = await registerWithRole(service, "ADMIN");
        await expectError(await readAudit(query, admin.token), 422, "VALIDATION_FAILED");
      },
    );
  });

  describe("a change and its audit row commit together", () => {
    it("when the audit row cannot be written, then the ban is rolled back and the user stays signed in", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);

      await withAuditInsertsFailing(db(), async () => {
        await expectError(await ban(moderator.token, user.username), 500, "INTERNAL");
      });

      expect((await stored(user.id)).status).toBe("ACTIVE");
      expect(await currentUserStatus(user.token)).toBe(200);
      expect(await auditRows()).toHaveLength(0);
      // Nothing was left half done: the same ban now goes through, with its row.
      expect((await ban(moderator.token, user.username)).status).toBe(200);
      expect(await auditRows()).toHaveLength(1);
    });

    it("when the audit row cannot be written, then the role change is rolled back and the user stays signed in", async () => {
      const admin = await registerWithRole(service, "ADMIN");
      const user = await registerUser(service);

      await withAuditInsertsFailing(db(), async () => {
        await expectError(await setRole(admin.token, user.username, "MODERATOR"), 500, "INTERNAL");
      });

      expect((await stored(user.id)).role).toBe("USER");
      expect(await currentUserStatus(user.token)).toBe(200);
      expect(await auditRows()).toHaveLength(0);
    });

    it("when an unban's audit row cannot be written, then the user stays banned", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      const user = await registerUser(service);
      expect((await ban(moderator.token, user.username)).status).toBe(200);

      await withAuditInsertsFailing(db(), async () => {
        await expectError(await unban(moderator.token, user.username), 500, "INTERNAL");
      });

      expect((await stored(user.id)).status).toBe("BANNED");
      expect(await auditRows()).toHaveLength(1);
      expect((await login(user)).status).toBe(403);
    });
  });
});
