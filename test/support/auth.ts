import { randomUUID } from "node:crypto";
import type { Role } from "../../src/generated/prisma/client";
import type { TestService } from "./service";

/** A password that passes the policy (long enough, not a common one). */
export const GOOD_PASSWORD = "correct horse battery staple";

export interface RegisteredUser {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

export function uniqueName(prefix = "user"): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<Response> {
  return fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export function tokenHeader(token: string, scheme: "Token" | "Bearer" = "Token") {
  return { authorization: `${scheme} ${token}` };
}

/** Registers through the real endpoint and returns the account with its tokens. */
export async function registerUser(
  service: TestService,
  overrides: { username?: string; email?: string; password?: string } = {},
): Promise<RegisteredUser> {
  const username = overrides.username ?? uniqueName();
  const email = overrides.email ?? `${username}@example.com`;
  const password = overrides.password ?? GOOD_PASSWORD;
  const res = await postJson(`${service.url}/api/users`, { user: { username, email, password } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const { user } = (await res.json()) as { user: { token: string; refreshToken: string } };
  const row = await service.container.db.user.findUniqueOrThrow({ where: { username } });
  return {
    id: row.id,
    username,
    email,
    password,
    token: user.token,
    refreshToken: user.refreshToken,
  };
}

/** Registers a user, gives them a role directly in the database, then signs in for a token carrying it. */
export async function registerWithRole(service: TestService, role: Role): Promise<RegisteredUser> {
  const user = await registerUser(service, { username: uniqueName(role.toLowerCase()) });
  await service.container.db.user.update({ where: { id: user.id }, data: { role } });
  const res = await postJson(`${service.url}/api/users/login`, {
    user: { email: user.email, password: user.password },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { user: body } = (await res.json()) as { user: { token: string; refreshToken: string } };
  return { ...user, token: body.token, refreshToken: body.refreshToken };
}
