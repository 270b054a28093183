import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { ConfigError, loadConfig } from "../../src/config/config";
import { registerWithRole } from "../support/auth";
import { defaultSettingsEnvironment, startTestService } from "../support/service";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
/** The default every clone signed with before each installation made its own. */
const FORMER_PUBLIC_SECRET = "conduit-development-secret-do-not-use-in-production";

const PRODUCTION = {
  NODE_ENV: "production",
  DATABASE_URL: "postgresql://app@db.internal:5432/conduit",
  REDIS_URL: "redis://cache.internal:6379",
  CORS_ORIGINS: "https://app.example.com",
};

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "conduit-secret-test-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const secretFile = () => path.join(dataDir, "jwt-secret");

describe("the development JWT secret", () => {
  it("when JWT_SECRET is unset outside production, then a random secret is made in DATA_DIR, readable by its owner alone", () => {
    const { auth } = loadConfig({ DATA_DIR: dataDir });

    expect(auth.jwtSecret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(readFileSync(secretFile(), "utf8").trim()).toBe(auth.jwtSecret);
    expect(statSync(secretFile()).mode & 0o777).toBe(0o600);
    expect(auth.jwtSecret).not.toBe(FORMER_PUBLIC_SECRET);
  });

  it("when the service starts again, then it signs with the same secret, so sessions survive a restart", () => {
    const first = loadConfig({ DATA_DIR: dataDir }).auth.jwtSecret;
    expect(loadConfig({ DATA_DIR: dataDir, NODE_ENV: "test" }).auth.jwtSecret).toBe(first);
  });

  it("when two installations start, then each has a secret of its own", () => {
    const other = mkdtempSync(path.join(tmpdir(), "conduit-secret-test-"));
    try {
      expect(loadConfig({ DATA_DIR: other }).auth.jwtSecret).not.toBe(
        loadConfig({ DATA_DIR: dataDir }).auth.jwtSecret,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("when DATA_DIR does not exist yet, then it is made, readable by its owner alone", () => {
    const nested = path.join(dataDir, "not", "yet");
    loadConfig({ DATA_DIR: nested });
    expect(existsSync(path.join(nested, "jwt-secret"))).toBe(true);
    expect(statSync(nested).mode & 0o777).toBe(0o700);
  });

  it("when JWT_SECRET is set, then it signs and no file is made", () => {
    const secret = "a secret the operator chose for this laptop";
    expect(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: secret }).auth.jwtSecret).toBe(secret);
    expect(existsSync(secretFile())).toBe(false);
  });

  it("when production has no JWT_SECRET, then it refuses to start and makes no file", () => {
    expect(() => loadConfig({ ...PRODUCTION, DATA_DIR: dataDir })).toThrow(
      /JWT_SECRET: is required in production/,
    );
    expect(existsSync(secretFile())).toBe(false);
  });

  it("when the secret file was cut short, then start-up refuses it and says how to recover", () => {
    writeFileSync(secretFile(), "short\n", { mode: 0o600 });
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/delete it and a new secret is made/);
  });

  it("when DATA_DIR cannot hold the file, then start-up names the file and the way out", () => {
    const blocked = path.join(dataDir, "a-file");
    writeFileSync(blocked, "");
    expect(() => loadConfig({ DATA_DIR: blocked })).toThrow(
      /development secret in .*a-file\/jwt-secret could not be made or read .*set JWT_SECRET, or DATA_DIR/,
    );
  });

  it("when several instances of one installation start at once, then they all sign with one secret", async () => {
    const script = `process.stdout.write(require("./src/config/config").loadConfig().auth.jwtSecret)`;
    const env = { ...process.env, DATA_DIR: dataDir, JWT_SECRET: "" };
    const secrets = await Promise.all(
      [1, 2, 3].map(async () => {
        const { stdout } = await run(process.execPath, ["--import", "tsx", "-e", script], {
          cwd: ROOT,
          env,
          timeout: 60_000,
        });
        return stdout;
      }),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toBe(readFileSync(secretFile(), "utf8").trim());
  }, 90_000);

  it("when someone signs an admin token with the former public default, then the service refuses it", async () => {
    const service = await startTestService({
      defaultSettings: true,
      env: { ...defaultSettingsEnvironment("secret"), DATA_DIR: dataDir },
    });
    try {
      const admin = await registerWithRole(service, "ADMIN");
      const claims = JSON.parse(
        Buffer.from(admin.token.split(".")[1]!, "base64url").toString("utf8"),
      ) as Record<string, unknown>;
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(new TextEncoder().encode(FORMER_PUBLIC_SECRET));
      const headers = (token: string) => ({ authorization: `Token ${token}` });

      expect(
        (await fetch(`${service.url}/api/admin/users`, { headers: headers(admin.token) })).status,
      ).toBe(200);
      expect(
        (await fetch(`${service.url}/api/admin/users`, { headers: headers(forged) })).status,
      ).toBe(401);
    } finally {
      await service.stop();
    }
  });
});
