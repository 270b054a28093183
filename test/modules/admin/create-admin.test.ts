import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import {
  createAdmin,
  CreateAdminError,
  CreateAdminInputError,
  usernameFromEmail,
} from "../../../src/modules/admin/create-admin";
import { postJson, registerUser, registerWithRole, tokenHeader } from "../../support/auth";
import { withAuditInsertsFailing } from "../../support/database";
import { useTestService } from "../../support/service";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..", "..");

/** `npm run admin:create -- <args>` without npm: the same script, this run's environment. */
async function runCommand(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", path.join("scripts", "admin-create.ts"), ...args],
      { cwd: ROOT, env: process.env, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("admin:create", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const auditRows = () => db().auditLog.findMany({ orderBy: { id: "asc" } });

  async function login(email: string, password: string) {
    return postJson(`${service.url}/api/users/login`, { user: { email, password } });
  }

  async function currentUser(token: string) {
    return fetch(`${service.url}/api/user`, { headers: tokenHeader(token) });
  }

  /** The audit log is for admins only: a 200 proves the token carries ADMIN. */
  async function readAuditLog(token: string) {
    return fetch(`${service.url}/api/admin/audit-log`, { headers: tokenHeader(token) });
  }

  describe("when a user with the email exists", () => {
    it("then they become an active ADMIN, an audit row is written and their old token gets 401", async () => {
      const user = await registerUser(service);
      expect((await currentUser(user.token)).status).toBe(200);
      expect((await readAuditLog(user.token)).status).toBe(403);

      // citext: the email matches whatever its case.
      const result = await createAdmin(service.container, { email: user.email.toUpperCase() });

      expect(result).toMatchObject({
        outcome: "promoted",
        from: { role: "USER", status: "ACTIVE" },
        user: { id: user.id, role: "ADMIN", status: "ACTIVE" },
      });
      const row = await db().user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({ role: "ADMIN", status: "ACTIVE" });
      expect(await auditRows()).toEqual([
        expect.objectContaining({
          actorId: null,
          action: "user.role.assign",
          targetType: "user",
          targetId: String(user.id),
          details: { username: user.username, from: "USER", to: "ADMIN", via: "cli" },
        }),
      ]);

      const stale = await currentUser(user.token);
      expect(stale.status).toBe(401);
      expect(await stale.json()).toMatchObject({ errors: { token: ["has been revoked"] } });
      const refreshed = await postJson(`${service.url}/api/users/refresh`, {
        refreshToken: user.refreshToken,
      });
      expect(refreshed.status).toBe(401);

      const signedIn = await login(user.email, user.password);
      expect(signedIn.status).toBe(200);
      const { user: body } = (await signedIn.json()) as { user: { token: string; role: string } };
      expect(body.role).toBe("ADMIN");
      expect((await readAuditLog(body.token)).status).toBe(200);
    });

    it("then a banned moderator becomes an active ADMIN who can sign in, and the row notes the unban", async () => {
      const moderator = await registerWithRole(service, "MODERATOR");
      await db().user.update({ where: { id: moderator.id }, data: { status: "BANNED" } });
      expect((await login(moderator.email, moderator.password)).status).toBe(403);

      const result = await createAdmin(service.container, { email: moderator.email });

      expect(result).toMatchObject({
        outcome: "promoted",
        from: { role: "MODERATOR", status: "BANNED" },
      });
      expect(await db().user.findUniqueOrThrow({ where: { id: moderator.id } })).toMatchObject({
        role: "ADMIN",
        status: "ACTIVE",
      });
      const [row, ...others] = await auditRows();
      expect(others).toHaveLength(0);
      expect(row?.details).toEqual({
        username: moderator.username,
        from: "MODERATOR",
        to: "ADMIN",
        via: "cli",
        fromStatus: "BANNED",
        toStatus: "ACTIVE",
      });
      expect((await login(moderator.email, moderator.password)).status).toBe(200);
    });

    it("then an account that is already an active admin is left alone: no row, sessions kept", async () => {
      const admin = await registerWithRole(service, "ADMIN");

      const result = await createAdmin(service.container, {
        email: admin.email,
        username: "someone_else",
      });

      expect(result).toMatchObject({ outcome: "unchanged", user: { username: admin.username } });
      expect(await auditRows()).toHaveLength(0);
      expect(await db().user.count({ where: { username: "someone_else" } })).toBe(0);
      expect((await readAuditLog(admin.token)).status).toBe(200);
    });

    it("then a failing audit insert rolls the promotion back and the sessions stay", async () => {
      const user = await registerUser(service);

      await withAuditInsertsFailing(db(), async () => {
        await expect(createAdmin(service.container, { email: user.email })).rejects.toThrow(
          /audit_log refused by the test/,
        );
      });

      expect(await db().user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
        role: "USER",
        status: "ACTIVE",
      });
      expect(await auditRows()).toHaveLength(0);
      expect((await currentUser(user.token)).status).toBe(200);
    });
  });

  describe("when no user has the email", () => {
    it("then an ADMIN is created whose returned password signs in through the API", async () => {
      const result = await createAdmin(service.container, { email: "Ops.Lead@Example.com" });

      if (result.outcome !== "created") throw new Error(`expected created, got ${result.outcome}`);
      expect(result.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(result.user).toMatchObject({
        email: "Ops.Lead@Example.com",
        username: "Ops.Lead",
        role: "ADMIN",
        status: "ACTIVE",
      });
      // Hashed with the service's own settings, so the first login need not rehash it.
      const { memoryKib, timeCost, parallelism } = service.container.config.auth.argon2;
      expect(result.user.passwordHash).toMatch(
        new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryKib},t=${timeCost},p=${parallelism}\\$`),
      );
      expect(result.user.passwordHash).not.toContain(result.password);
      expect(await auditRows()).toEqual([
        expect.objectContaining({
          actorId: null,
          action: "user.role.assign",
          targetType: "user",
          targetId: String(result.user.id),
          details: { username: "Ops.Lead", from: null, to: "ADMIN", via: "cli", created: true },
        }),
      ]);

      const signedIn = await login("ops.lead@example.com", result.password);
      expect(signedIn.status).toBe(200);
      const { user } = (await signedIn.json()) as { user: { token: string; role: string } };
      expect(user.role).toBe("ADMIN");
      expect((await readAuditLog(user.token)).status).toBe(200);
      expect((await login("ops.lead@example.com", `${result.password}x`)).status).toBe(401);
    });

    it("then each run makes a different password", async () => {
      const first = await createAdmin(service.container, { email: "one@example.com" });
      const second = await createAdmin(service.container, { email: "two@example.com" });
      if (first.outcome !== "created" || second.outcome !== "created")
        throw new Error("not created");
      expect(first.password).not.toBe(second.password);
    });

    it("then --username names the account", async () => {
      const result = await createAdmin(service.container, {
        email: "root@example.com",
        username: "site-admin",
      });
      expect(result).toMatchObject({ outcome: "created", user: { username: "site-admin" } });
    });

    it("then a taken --username is refused and nothing is written", async () => {
      const user = await registerUser(service);

      await expect(
        createAdmin(service.container, { email: "new@example.com", username: user.username }),
      ).rejects.toThrow(CreateAdminError);

      expect(await db().user.count()).toBe(1);
      expect(await auditRows()).toHaveLength(0);
    });

    it("then a username taken by the email's local part gets a short random suffix", async () => {
      await registerUser(service, { username: "ops", email: "ops@elsewhere.example" });

      const result = await createAdmin(service.container, { email: "ops@example.com" });

      expect(result.outcome).toBe("created");
      expect(result.user.username).toMatch(/^ops_[0-9a-f]{6}$/);
    });

    it("then a failing audit insert leaves no account behind", async () => {
      await withAuditInsertsFailing(db(), async () => {
        await expect(createAdmin(service.container, { email: "new@example.com" })).rejects.toThrow(
          /audit_log refused by the test/,
        );
      });
      expect(await db().user.count()).toBe(0);
    });
  });

  it.each([
    ["not-an-email"],
    [""],
    ["   "],
    ["two@@example.com"],
    [`${"a".repeat(250)}@example.com`],
  ])("when the email is %j, then it is refused before anything is written", async (email) => {
    await expect(createAdmin(service.container, { email })).rejects.toThrow(CreateAdminInputError);
    expect(await db().user.count()).toBe(0);
    expect(await auditRows()).toHaveLength(0);
  });

  it.each([["-leading-dash"], ["has space"], ["slash/name"], ["x".repeat(41)]])(
    "when --username is %j, then it is refused",
    async (username) => {
      await expect(
        createAdmin(service.container, { email: "fine@example.com", username }),
      ).rejects.toThrow(CreateAdminInputError);
      expect(await db().user.count()).toBe(0);
    },
  );

  it.each([
    ["jean.o'neil+ops@example.com", "jean.o_neil_ops"],
    ["__ops__@example.com", "ops__"],
    ["élodie@example.com", "elodie"],
    ["+++@example.com", "admin"],
    [`${"b".repeat(60)}@example.com`, "b".repeat(40)],
  ])("when the email is %j, then the username made from it is %j", (email, username) => {
    expect(usernameFromEmail(email)).toBe(username);
  });

  describe("the command", () => {
    it("when run with a new email, then it prints a password that signs in, once, with advice to change it", async () => {
      const { code, stdout, stderr } = await runCommand(["boss@example.com", "--username", "boss"]);

      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      const password = /Password \(shown only this once\): (\S+)/.exec(stdout)?.[1];
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(stdout.split(password!)).toHaveLength(2);
      expect(stdout).toMatch(/change it/i);
      expect(await db().user.findUniqueOrThrow({ where: { username: "boss" } })).toMatchObject({
        role: "ADMIN",
      });
      expect((await login("boss@example.com", password!)).status).toBe(200);
    });

    it("when run with an existing email, then it promotes the account and ends its sessions", async () => {
      const user = await registerUser(service);

      const { code, stdout } = await runCommand([user.email]);

      expect(code).toBe(0);
      expect(stdout).toContain("now an active ADMIN");
      expect(stdout).not.toMatch(/password/i);
      expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("ADMIN");
      expect((await currentUser(user.token)).status).toBe(401);
    });

    it.each([[["not-an-email"]], [[]], [["a@example.com", "b@example.com"]], [["--bogus"]]])(
      "when run with %j, then it prints the usage and exits 1",
      async (args) => {
        const { code, stdout, stderr } = await runCommand(args);
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toContain("Usage: npm run admin:create -- <email> [--username <name>]");
        expect(await db().user.count()).toBe(0);
      },
    );
  });
});
