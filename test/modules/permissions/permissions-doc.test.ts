import { readFileSync } from "node:fs";
import path from "node:path";
import type { Role } from "../../../src/generated/prisma/client";
import {
  type Actor,
  can,
  type OwnedAction,
  type Permission,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLE_RANK,
  ROLES,
} from "../../../src/modules/auth/permissions";

const DOC = path.resolve(__dirname, "..", "..", "..", "docs", "permissions.md");

type RolePermissions = Readonly<Record<Role, ReadonlySet<string>>>;

function cellsOf(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((cell) => cell.trim());
}

/** The rows of the Markdown table whose first header cell is "Permission", header first. */
function permissionTable(markdown: string): string[][] | undefined {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => /^\|\s*Permission\s*\|/.test(line));
  if (start === -1) return undefined;
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.trim().startsWith("|")) break;
    rows.push(cellsOf(line));
  }
  return rows;
}

/**
 * Every way the documented table and the code's table disagree, in words.
 * Empty when they agree cell for cell.
 */
function disagreements(
  markdown: string,
  rolePermissions: RolePermissions,
  permissions: readonly string[],
): string[] {
  const table = permissionTable(markdown);
  if (table === undefined) return ["no table with a Permission column"];
  const [header = [], separator = [], ...body] = table;
  const roles = Object.keys(rolePermissions);
  const problems: string[] = [];

  if (JSON.stringify(header) !== JSON.stringify(["Permission", ...roles])) {
    problems.push(`header is ${header.join(" | ")}, expected Permission | ${roles.join(" | ")}`);
  }
  if (!separator.every((cell) => /^:?-+:?$/.test(cell))) problems.push("no header separator");

  const known = new Set([
    ...permissions,
    ...roles.flatMap((role) => [...rolePermissions[role as Role]]),
  ]);
  const documented = new Set<string>();
  for (const [index, row] of body.entries()) {
    const [first = "", ...cells] = row;
    const permission = /^`([^`]+)`$/.exec(first)?.[1];
    if (permission === undefined) {
      problems.push(`row ${index + 1}: "${first}" is not a permission in backticks`);
      continue;
    }
    if (documented.has(permission)) problems.push(`${permission} is listed twice`);
    documented.add(permission);
    if (!known.has(permission)) {
      problems.push(`${permission} is documented but not in the code`);
      continue;
    }
    if (cells.length !== roles.length) {
      problems.push(`${permission} has ${cells.length} role cells, expected ${roles.length}`);
    }
    roles.forEach((role, column) => {
      const cell = cells[column] ?? "";
      if (cell !== "yes" && cell !== "") {
        problems.push(`${permission} for ${role}: "${cell}" is neither "yes" nor empty`);
        return;
      }
      const inDoc = cell === "yes";
      const inCode = rolePermissions[role as Role].has(permission);
      if (inDoc !== inCode) {
        problems.push(
          `${permission} for ${role}: the page says ${inDoc ? "yes" : "no"}, the code says ${inCode ? "yes" : "no"}`,
        );
      }
    });
  }
  for (const permission of known) {
    if (!documented.has(permission))
      problems.push(`${permission} is in the code but not documented`);
  }
  return problems;
}

describe("docs/permissions.md", () => {
  const markdown = readFileSync(DOC, "utf8");
  const check = (text: string, rolePermissions: RolePermissions = ROLE_PERMISSIONS) =>
    disagreements(text, rolePermissions, PERMISSIONS);

  it("when compared with ROLE_PERMISSIONS, then every permission and every cell agree", () => {
    expect(check(markdown)).toEqual([]);
  });

  it("when the page has one table, then it is the permission table with a row per permission", () => {
    const table = permissionTable(markdown);
    expect(table?.[0]).toEqual(["Permission", ...ROLES]);
    expect(table).toHaveLength(PERMISSIONS.length + 2);
    expect(markdown.match(/^\|.*\|\s*$\n^\|[\s:|-]+\|\s*$/gm)).toHaveLength(1);
  });

  it("when a permission's row is missing, then the check names it", () => {
    const text = markdown.replace(/^\| `user:ban` .*\n/m, "");
    expect(text).not.toBe(markdown);
    expect(check(text)).toEqual(["user:ban is in the code but not documented"]);
  });

  it("when the page lists a permission the code does not have, then the check names it", () => {
    const text = markdown.replace(/^(\| `audit:read` .*\n)/m, "$1| `audit:delete` |  |  | yes |\n");
    expect(check(text)).toEqual(["audit:delete is documented but not in the code"]);
  });

  it("when a cell is wrong either way, then the check names the permission and role", () => {
    const granted = markdown.replace(
      /^\| `audit:read`( *)\| *\| *\| *yes *\|/m,
      "| `audit:read`$1| yes |  | yes |",
    );
    expect(check(granted)).toEqual(["audit:read for USER: the page says yes, the code says no"]);
    const withheld = markdown.replace(
      /^\| `user:ban`( *)\| *\| *yes *\| *yes *\|/m,
      "| `user:ban`$1|  |  | yes |",
    );
    expect(check(withheld)).toEqual([
      "user:ban for MODERATOR: the page says no, the code says yes",
    ]);
  });

  it("when a cell says something other than yes or nothing, then the check refuses it", () => {
    const text = markdown.replace(
      /^\| `user:ban`( *)\| *\| *yes *\| *yes *\|/m,
      "| `user:ban`$1| no | yes | yes |",
    );
    expect(check(text)).toEqual(['user:ban for USER: "no" is neither "yes" nor empty']);
  });

  it("when the code changes and the page does not, then the check fails too", () => {
    const changed: RolePermissions = {
      ...ROLE_PERMISSIONS,
      USER: new Set([...ROLE_PERMISSIONS.USER, "user:ban"]),
    };
    expect(check(markdown, changed)).toEqual([
      "user:ban for USER: the page says no, the code says yes",
    ]);
  });

  it("when the table is gone or its columns change, then the check fails", () => {
    expect(check("# Roles\n\nNo table here.\n")).toEqual(["no table with a Permission column"]);
    const swapped = markdown.replace(
      "| USER | MODERATOR | ADMIN |",
      "| MODERATOR | USER | ADMIN |",
    );
    expect(check(swapped)[0]).toMatch(/^header is Permission \| MODERATOR \| USER \| ADMIN/);
  });
});

describe("can()", () => {
  const user: Actor = { id: 1, role: "USER" };
  const moderator: Actor = { id: 2, role: "MODERATOR" };
  const admin: Actor = { id: 3, role: "ADMIN" };

  it("when there is no actor, then nothing is allowed, owned or not", () => {
    for (const permission of PERMISSIONS) expect(can(undefined, permission)).toBe(false);
    expect(can(undefined, "article:update", { ownerId: 1 })).toBe(false);
    expect(can(undefined, "comment:delete", { ownerId: 0 })).toBe(false);
  });

  it("when a user acts on their own resources, then :own is enough; on someone else's, it is refused", () => {
    const own = { ownerId: user.id };
    const others = { ownerId: 99 };
    expect(can(user, "article:update", own)).toBe(true);
    expect(can(user, "article:delete", own)).toBe(true);
    expect(can(user, "comment:delete", own)).toBe(true);
    expect(can(user, "article:update", others)).toBe(false);
    expect(can(user, "article:delete", others)).toBe(false);
    expect(can(user, "comment:delete", others)).toBe(false);
  });

  it("when a moderator acts on someone else's resources, then only what they hold :any for is allowed", () => {
    const others = { ownerId: 99 };
    expect(can(moderator, "article:delete", others)).toBe(true);
    expect(can(moderator, "comment:delete", others)).toBe(true);
    expect(can(moderator, "article:update", others)).toBe(false);
    expect(can(moderator, "article:update", { ownerId: moderator.id })).toBe(true);
  });

  it("when an admin acts on anyone's resources, then every owned action is allowed", () => {
    for (const action of ["article:update", "article:delete", "comment:delete"] as const) {
      expect(can(admin, action, { ownerId: 99 })).toBe(true);
      expect(can(admin, action, { ownerId: admin.id })).toBe(true);
    }
  });

  it("when ownership is checked, then it compares the actor's id with the owner's", () => {
    expect(can({ id: 7, role: "USER" }, "article:update", { ownerId: 8 })).toBe(false);
    expect(can({ id: 8, role: "USER" }, "article:update", { ownerId: 8 })).toBe(true);
  });

  it("when checking every owned action, then :any wins and :own needs ownership", () => {
    const actions: OwnedAction[] = ["article:update", "article:delete", "comment:delete"];
    for (const role of ROLES) {
      for (const action of actions) {
        const any = ROLE_PERMISSIONS[role].has(`${action}:any` as Permission);
        const own = ROLE_PERMISSIONS[role].has(`${action}:own` as Permission);
        expect(can({ id: 5, role }, action, { ownerId: 5 })).toBe(any || own);
        expect(can({ id: 5, role }, action, { ownerId: 6 })).toBe(any);
      }
    }
  });

  it("when roles are ranked, then each holds every permission of the ones below it", () => {
    const byRank = [...ROLES].sort((a, b) => ROLE_RANK[a] - ROLE_RANK[b]);
    expect(byRank).toEqual(["USER", "MODERATOR", "ADMIN"]);
    for (let i = 1; i < byRank.length; i++) {
      const lower = ROLE_PERMISSIONS[byRank[i - 1]!];
      const higher = ROLE_PERMISSIONS[byRank[i]!];
      for (const permission of lower) expect(higher.has(permission)).toBe(true);
      expect(higher.size).toBeGreaterThan(lower.size);
    }
  });
});
