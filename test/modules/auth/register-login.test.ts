import { hash } from "@node-rs/argon2";
import { expectErrorWithCode, type ErrorBody } from "../../support/api";
import {
  GOOD_PASSWORD,
  postJson,
  registerUser,
  tokenHeader,
  uniqueName,
  type RegisteredUser,
} from "../../support/auth";
import { ownRedisPrefix, useTestService, type TestService } from "../../support/service";

interface UserBody {
  user: {
    email: string;
    username: string;
    bio: string | null;
    image: string | null;
    role: string;
    token: string;
    refreshToken?: string;
  };
}

/** The hash prefix the test configuration (the defaults) produces. */
const DEFAULT_HASH_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$";

const TAKEN = "has already been taken";
const TOO_COMMON = "is too common; choose one that is harder to guess";

/** The users endpoints of one running service. */
function usersApi(service: TestService) {
  const register = (body: unknown) => postJson(`${service.url}/api/users`, body);
  return {
    register,
    registerFields: (user: Record<string, unknown>) => register({ user }),
    login: (email: unknown, password: unknown) =>
      postJson(`${service.url}/api/users/login`, { user: { email, password } }),
    getUser: (headers: Record<string, string>) => fetch(`${service.url}/api/user`, { headers }),
    put: (token: string, user: unknown) =>
      postJson(`${service.url}/api/user`, { user }, tokenHeader(token), "PUT"),
  };
}

function freshAccount(password = GOOD_PASSWORD) {
  const username = uniqueName();
  return { username, email: `${username}@example.com`, password };
}

async function expectError(res: Response, status: number, field: string, message?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorBody;
  expect(body.errors[field]).toBeDefined();
  if (message !== undefined) expect(body.errors[field]?.[0]).toBe(message);
  expect(typeof body.code).toBe("string");
  expect(typeof body.requestId).toBe("string");
  return body;
}

describe("registration, sign-in and the current user", () => {
  const service = useTestService();
  const { register, registerFields, login, getUser, put } = usersApi(service);

  describe("POST /api/users (register)", () => {
    it("when the fields are valid, then it answers 201 with the user, a working token and a refresh token", async () => {
      const account = freshAccount();
      const res = await registerFields(account);
      expect(res.status).toBe(201);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const { user } = (await res.json()) as UserBody;
      expect(user).toEqual({
        email: account.email,
        username: account.username,
        bio: null,
        image: null,
        role: "USER",
        token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) as unknown,
        refreshToken: expect.stringMatching(/^[\w-]{22}\.[\w-]{43}$/) as unknown,
      });
      const me = await getUser(tokenHeader(user.token));
      expect(me.status).toBe(200);
      expect(((await me.json()) as UserBody).user.username).toBe(account.username);
    });

    it("when the password is stored, then it is an argon2id hash and not the password", async () => {
      const account = freshAccount();
      expect((await registerFields(account)).status).toBe(201);
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { username: account.username },
      });
      expect(row.passwordHash.startsWith(DEFAULT_HASH_PREFIX)).toBe(true);
      expect(row.passwordHash).not.toContain(account.password);
    });

    it("when the email is already taken, then it answers 409 naming only email 'has already been taken'", async () => {
      const first = await registerUser(service);
      const res = await registerFields({ ...freshAccount(), email: first.email });
      await expectErrorWithCode(res, 409, "CONFLICT", { email: [TAKEN] });
    });

    it("when the username is already taken, then it answers 409 naming only username 'has already been taken'", async () => {
      const first = await registerUser(service);
      const res = await registerFields({ ...freshAccount(), username: first.username });
      await expectErrorWithCode(res, 409, "CONFLICT", { username: [TAKEN] });
    });

    it.each([
      ["one user", (first: RegisteredUser) => ({ email: first.email, username: first.username })],
      [
        "two users, in another letter case",
        (first: RegisteredUser, second: RegisteredUser) => ({
          email: first.email.toUpperCase(),
          username: second.username.toUpperCase(),
        }),
      ],
    ])(
      "when the email and the username are both taken, by %s, then one 409 names both",
      async (_name, taken) => {
        const [first, second] = [await registerUser(service), await registerUser(service)];
        const res = await registerFields({ ...freshAccount(), ...taken(first, second) });
        await expectErrorWithCode(res, 409, "CONFLICT", { email: [TAKEN], username: [TAKEN] });
      },
    );

    it("when the email differs from a taken one only in letter case, then it is still taken (409)", async () => {
      const first = await registerUser(service);
      const res = await registerFields({ ...freshAccount(), email: first.email.toUpperCase() });
      await expectError(res, 409, "email", "has already been taken");
    });

    it("when the username differs from a taken one only in letter case, then it is still taken (409)", async () => {
      const first = await registerUser(service);
      const res = await registerFields({
        ...freshAccount(),
        username: first.username.toUpperCase(),
      });
      await expectError(res, 409, "username", "has already been taken");
    });

    it.each(["username", "email", "password"])(
      'when %s is missing, null, empty or blank, then it answers 422 "can\'t be blank"',
      async (field) => {
        for (const value of [undefined, null, "", ...(field === "password" ? [] : ["   "])]) {
          const user: Record<string, unknown> = { ...freshAccount(), [field]: value };
          if (value === undefined) delete user[field];
          const res = await registerFields(user);
          const body = await expectError(res, 422, field, "can't be blank");
          expect(body.code).toBe("VALIDATION_FAILED");
        }
      },
    );

    it("when every field is missing, then each one is named as blank", async () => {
      const res = await registerFields({});
      const body = await expectError(res, 422, "username", "can't be blank");
      expect(body.errors.email).toEqual(["can't be blank"]);
      expect(body.errors.password).toEqual(["can't be blank"]);
    });

    it.each(["username", "email", "password"])(
      "when %s is not a string, then it answers 422 'must be a string'",
      async (field) => {
        for (const value of [12345678, true, ["a"], { a: 1 }]) {
          const res = await registerFields({ ...freshAccount(), [field]: value });
          await expectError(res, 422, field, "must be a string");
        }
      },
    );

    it("when the user envelope is missing, then it answers 422 naming user as blank", async () => {
      const res = await register(freshAccount());
      await expectError(res, 422, "user", "can't be blank");
    });

    it("when no body is sent at all, then it answers 422 naming user as blank", async () => {
      const res = await fetch(`${service.url}/api/users`, { method: "POST" });
      await expectError(res, 422, "user", "can't be blank");
    });

    it("when the user envelope is not an object, then it answers 422", async () => {
      const res = await register({ user: "alice" });
      await expectError(res, 422, "user", "must be an object");
    });

    it.each(["not-an-email", "a@b", "@example.com", "alice@", "alice example@example.com"])(
      "when the email is %p, then it answers 422 email 'is invalid'",
      async (email) => {
        const res = await registerFields({ ...freshAccount(), email });
        await expectError(res, 422, "email", "is invalid");
      },
    );

    it.each(["bad name", "bad/name", "<script>", "_leading", ".dot", "naïve", "a?b"])(
      "when the username is %p, then it answers 422 naming username",
      async (username) => {
        const res = await registerFields({ ...freshAccount(), username });
        await expectError(res, 422, "username");
      },
    );

    it("when the body also sends role, status or passwordHash, then they are ignored (no mass assignment)", async () => {
      const account = freshAccount();
      const res = await registerFields({
        ...account,
        role: "ADMIN",
        status: "BANNED",
        passwordHash: "$argon2id$forged",
        bio: "set at sign-up",
      });
      expect(res.status).toBe(201);
      const { user } = (await res.json()) as UserBody;
      expect(user.role).toBe("USER");
      expect(user.bio).toBeNull();
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { username: account.username },
      });
      expect(row.role).toBe("USER");
      expect(row.status).toBe("ACTIVE");
      expect(row.passwordHash.startsWith(DEFAULT_HASH_PREFIX)).toBe(true);
    });

    it("when the username uses letters, digits, '_', '.' and '-', then it is accepted", async () => {
      const username = `Ab9_.-${uniqueName().slice(-6)}`;
      const res = await registerFields({ ...freshAccount(), username });
      expect(res.status).toBe(201);
    });

    it("when the password has 7 characters, then it answers 422 'is too short'", async () => {
      const res = await registerFields({ ...freshAccount(), password: "xk3!vQz" });
      await expectError(res, 422, "password", "is too short (minimum is 8 characters)");
    });

    it.each([
      ["8", "xk3!vQz9"],
      ["64", "Kq7".repeat(21) + "z"],
      ["128", "v8&Lm".repeat(25) + "abc"],
    ])(
      "when the password has %s characters, then it is accepted and signs in",
      async (length, password) => {
        expect([...password]).toHaveLength(Number(length));
        const account = freshAccount(password);
        expect((await registerFields(account)).status).toBe(201);
        expect((await login(account.email, password)).status).toBe(200);
      },
    );

    it("when the password has 129 characters, then it answers 422 'is too long'", async () => {
      const password = "v8&Lm".repeat(25) + "abcd";
      expect(password).toHaveLength(129);
      const res = await registerFields({ ...freshAccount(), password });
      await expectError(res, 422, "password", "is too long (maximum is 128 characters)");
    });

    it("when the password is password123 (what the official suites register with), then it is accepted and signs in (the RealWorld rules)", async () => {
      const account = freshAccount("password123");
      expect((await registerFields(account)).status).toBe(201);
      expect((await login(account.email, "password123")).status).toBe(200);
    });

    it("when the password is a passphrase without digits, capitals or symbols, then it is accepted (no composition rules)", async () => {
      const account = freshAccount("aaaa bbbb cccc");
      expect((await registerFields(account)).status).toBe(201);
      expect((await login(account.email, "aaaa bbbb cccc")).status).toBe(200);
    });

    it.each([
      ["Japanese", "パスワードは秘密です"],
      ["Cyrillic", "пароль-надёжный"],
      ["emoji (8 code points)", "🔒🐉🌵🎲🦀🧭🪁🍋"],
    ])("when the password is %s, then it is accepted and signs in", async (_name, password) => {
      const account = freshAccount(password);
      expect((await registerFields(account)).status).toBe(201);
      expect((await login(account.email, password)).status).toBe(200);
      expect((await login(account.email, `${password}x`)).status).toBe(401);
    });

    it("when a password holds 'é', then the composed and the decomposed spelling both sign in (NFKC)", async () => {
      const composed = "caf\u00e9 au lait chaud";
      const decomposed = "cafe\u0301 au lait chaud";
      expect(composed).not.toBe(decomposed);
      const account = freshAccount(composed);
      expect((await registerFields(account)).status).toBe(201);
      expect((await login(account.email, composed)).status).toBe(200);
      expect((await login(account.email, decomposed)).status).toBe(200);

      const other = freshAccount(decomposed);
      expect((await registerFields(other)).status).toBe(201);
      expect((await login(other.email, composed)).status).toBe(200);
    });
  });

  describe("POST /api/users/login", () => {
    it("when the credentials are right, then it answers 200 with the user, a working token and a new refresh token", async () => {
      const registered = await registerUser(service);
      const res = await login(registered.email, registered.password);
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user).toMatchObject({
        email: registered.email,
        username: registered.username,
        bio: null,
        image: null,
        role: "USER",
      });
      expect(user.refreshToken).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
      expect(user.refreshToken).not.toBe(registered.refreshToken);
      expect(user.token).not.toBe(registered.token);
      expect((await getUser(tokenHeader(user.token))).status).toBe(200);
    });

    it("when the email is given in another letter case, then the sign-in still succeeds", async () => {
      const registered = await registerUser(service);
      const res = await login(registered.email.toUpperCase(), registered.password);
      expect(res.status).toBe(200);
    });

    it("when the password is wrong or the email unknown, then both answer 401 credentials 'invalid' with the same body shape", async () => {
      const registered = await registerUser(service);
      const wrongPassword = await login(registered.email, "not the right password");
      const unknownEmail = await login("nobody-here@example.com", registered.password);
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      const a = (await wrongPassword.json()) as ErrorBody;
      const b = (await unknownEmail.json()) as ErrorBody;
      expect(a.errors).toEqual({ credentials: ["invalid"] });
      expect(b.errors).toEqual({ credentials: ["invalid"] });
      expect(a.code).toBe("UNAUTHENTICATED");
      expect(b.code).toBe(a.code);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      expect(wrongPassword.headers.get("www-authenticate")).not.toBeNull();
    });

    it.each(["email", "password"])(
      'when %s is missing, null or empty, then it answers 422 "can\'t be blank"',
      async (field) => {
        for (const value of [undefined, null, ""]) {
          const user: Record<string, unknown> = { email: "a@example.com", password: GOOD_PASSWORD };
          if (value === undefined) delete user[field];
          else user[field] = value;
          const res = await postJson(`${service.url}/api/users/login`, { user });
          await expectError(res, 422, field, "can't be blank");
        }
      },
    );

    it('when the email is only whitespace, then it answers 422 "can\'t be blank" like an empty one', async () => {
      const res = await login("   ", GOOD_PASSWORD);
      await expectError(res, 422, "email", "can't be blank");
    });

    it("when the email has surrounding whitespace, then it is trimmed and the sign-in succeeds", async () => {
      const registered = await registerUser(service);
      const res = await login(`  ${registered.email}  `, registered.password);
      expect(res.status).toBe(200);
    });

    it("when the user envelope is missing, then it answers 422 naming user as blank", async () => {
      const res = await postJson(`${service.url}/api/users/login`, {
        email: "a@example.com",
        password: GOOD_PASSWORD,
      });
      await expectError(res, 422, "user", "can't be blank");
    });

    it("when the account is banned, then the right password gets 403 while a wrong one still gets 401", async () => {
      const registered = await registerUser(service);
      await service.container.db.user.update({
        where: { id: registered.id },
        data: { status: "BANNED" },
      });
      const right = await login(registered.email, registered.password);
      const body = await expectError(right, 403, "user", "is banned");
      expect(body.code).toBe("FORBIDDEN");
      const wrong = await login(registered.email, "not the right password");
      await expectError(wrong, 401, "credentials", "invalid");
    });

    it("when the stored hash was made with other argon2 parameters, then a successful sign-in rehashes it with today's", async () => {
      const registered = await registerUser(service);
      const stronger = await hash(registered.password, {
        memoryCost: 19456 * 2,
        timeCost: 3,
        parallelism: 1,
      });
      expect(stronger.startsWith("$argon2id$v=19$m=38912,t=3,p=1$")).toBe(true);
      await service.container.db.user.update({
        where: { id: registered.id },
        data: { passwordHash: stronger },
      });

      expect((await login(registered.email, registered.password)).status).toBe(200);
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.passwordHash.startsWith(DEFAULT_HASH_PREFIX)).toBe(true);
      expect(row.passwordHash).not.toBe(stronger);
      expect((await login(registered.email, registered.password)).status).toBe(200);
    });

    it("when the stored hash already uses today's parameters, then sign-in leaves it untouched", async () => {
      const registered = await registerUser(service);
      const before = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect((await login(registered.email, registered.password)).status).toBe(200);
      const after = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(after.passwordHash).toBe(before.passwordHash);
    });

    it("when the password is wrong, then the stored hash is not rehashed", async () => {
      const registered = await registerUser(service);
      const stronger = await hash(registered.password, {
        memoryCost: 19456 * 2,
        timeCost: 3,
        parallelism: 1,
      });
      await service.container.db.user.update({
        where: { id: registered.id },
        data: { passwordHash: stronger },
      });
      expect((await login(registered.email, "not the right password")).status).toBe(401);
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.passwordHash).toBe(stronger);
    });
  });

  describe("GET /api/user", () => {
    it.each(["Token", "Bearer"] as const)(
      "when the token is sent with the %s scheme, then it answers 200 with the user and that same token",
      async (scheme) => {
        const registered = await registerUser(service);
        const res = await getUser(tokenHeader(registered.token, scheme));
        expect(res.status).toBe(200);
        const { user } = (await res.json()) as UserBody;
        expect(user).toEqual({
          email: registered.email,
          username: registered.username,
          bio: null,
          image: null,
          role: "USER",
          token: registered.token,
        });
      },
    );

    it("when it answers, then no cache may keep the body, since it holds the token", async () => {
      const registered = await registerUser(service);
      const res = await getUser(tokenHeader(registered.token));
      expect(res.headers.get("cache-control")).toBe("no-store");
    });

    it("when the user was banned behind a live session, then 401 'has been revoked' with an invalid_token challenge", async () => {
      const registered = await registerUser(service);
      await service.container.db.user.update({
        where: { id: registered.id },
        data: { status: "BANNED" },
      });
      const res = await getUser(tokenHeader(registered.token));
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      await expectError(res, 401, "token", "has been revoked");
    });

    it("when the scheme word is in another letter case, then it is still accepted", async () => {
      const registered = await registerUser(service);
      const res = await getUser({ authorization: `token ${registered.token}` });
      expect(res.status).toBe(200);
    });

    it("when no token is sent, then it answers 401 token 'is missing'", async () => {
      await expectError(await getUser({}), 401, "token", "is missing");
    });
  });

  describe("PUT /api/user", () => {
    it("when bio and image are set, then they are stored and returned", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, {
        bio: "I like to skateboard",
        image: "https://example.com/me.png",
      });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user).toMatchObject({
        bio: "I like to skateboard",
        image: "https://example.com/me.png",
        token: registered.token,
      });
      const again = (await (await getUser(tokenHeader(registered.token))).json()) as UserBody;
      expect(again.user).toMatchObject({
        bio: "I like to skateboard",
        image: "https://example.com/me.png",
      });
    });

    it.each([
      ["an empty string", ""],
      ["null", null],
    ])("when bio and image are %s, then they are stored and returned as null", async (_name, v) => {
      const registered = await registerUser(service);
      expect(
        (await put(registered.token, { bio: "something", image: "https://example.com/a.png" }))
          .status,
      ).toBe(200);
      const res = await put(registered.token, { bio: v, image: v });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user.bio).toBeNull();
      expect(user.image).toBeNull();
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.bio).toBeNull();
      expect(row.image).toBeNull();
    });

    it.each([
      "javascript:alert(1)",
      "data:text/html,hi",
      "not a url",
      "ftp://example.com/a.png",
      "https://example.com/\u0000.png",
      "https://exa\nmple.com/a.png",
    ])("when image is %p, then it answers 422 naming image and nothing changes", async (image) => {
      const registered = await registerUser(service);
      await expectError(await put(registered.token, { image }), 422, "image");
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.image).toBeNull();
    });

    it.each([
      ['https://example.com/a b"c.png', "https://example.com/a%20b%22c.png"],
      ["https://EXAMPLE.com", "https://example.com/"],
    ])(
      "when image is %p, then it is stored and returned as its URL serialisation %p",
      async (image, serialised) => {
        const registered = await registerUser(service);
        const res = await put(registered.token, { image });
        expect(res.status).toBe(200);
        expect(((await res.json()) as UserBody).user.image).toBe(serialised);
        const again = (await (await getUser(tokenHeader(registered.token))).json()) as UserBody;
        expect(again.user.image).toBe(serialised);
        const row = await service.container.db.user.findUniqueOrThrow({
          where: { id: registered.id },
        });
        expect(row.image).toBe(serialised);
      },
    );

    it("when image is 2048 characters only until its spaces are percent-encoded, then it answers 422 'is too long' and nothing changes", async () => {
      const registered = await registerUser(service);
      const image = `https://example.com/${" a".repeat(1_014)}`;
      expect(image).toHaveLength(2_048);
      const res = await put(registered.token, { image });
      await expectError(res, 422, "image", "is too long (maximum is 2048 characters)");
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.image).toBeNull();
    });

    it("when the username changes, then the new one is returned and the token keeps working", async () => {
      const registered = await registerUser(service);
      const username = uniqueName("renamed");
      const res = await put(registered.token, { username });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user.username).toBe(username);
      const me = await getUser(tokenHeader(user.token));
      expect(me.status).toBe(200);
      expect(((await me.json()) as UserBody).user.username).toBe(username);
    });

    it("when the email changes, then the new one signs in, the old one does not, and the token keeps working", async () => {
      const registered = await registerUser(service);
      const email = `${uniqueName("moved")}@example.org`;
      const res = await put(registered.token, { email });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user.email).toBe(email);
      expect((await getUser(tokenHeader(user.token))).status).toBe(200);
      expect((await login(email, registered.password)).status).toBe(200);
      expect((await login(registered.email, registered.password)).status).toBe(401);
    });

    it("when the password changes, then the new one signs in and the old one does not", async () => {
      const registered = await registerUser(service);
      const password = "a whole new passphrase";
      const res = await put(registered.token, { password });
      expect(res.status).toBe(200);
      const body = (await res.json()) as UserBody;
      expect(body.user).not.toHaveProperty("password");
      expect((await login(registered.email, password)).status).toBe(200);
      expect((await login(registered.email, registered.password)).status).toBe(401);
    });

    it("when the new password is a simple word (bonjour1, or 64 times 'a'), then it is accepted and signs in (the RealWorld rules)", async () => {
      const registered = await registerUser(service);
      for (const password of ["bonjour1", "a".repeat(64)]) {
        expect((await put(registered.token, { password })).status).toBe(200);
        expect((await login(registered.email, password)).status).toBe(200);
      }
    });

    it("when the password has 8 or 64 characters, then it is accepted", async () => {
      const registered = await registerUser(service);
      for (const password of ["xk3!vQz9", "Kq7".repeat(21) + "z"]) {
        expect((await put(registered.token, { password })).status).toBe(200);
        expect((await login(registered.email, password)).status).toBe(200);
      }
    });

    it.each([
      ["empty", "", "can't be blank"],
      ["null", null, "can't be blank"],
      ["7 characters", "xk3!vQz", "is too short (minimum is 8 characters)"],
      ["129 characters", "v8&Lm".repeat(25) + "abcd", "is too long (maximum is 128 characters)"],
    ])(
      "when the new password is %s, then it answers 422 and the old password still works",
      async (_name, password, message) => {
        const registered = await registerUser(service);
        await expectError(await put(registered.token, { password }), 422, "password", message);
        expect((await login(registered.email, registered.password)).status).toBe(200);
      },
    );

    it.each([
      ["username", ""],
      ["username", null],
      ["username", "   "],
      ["email", ""],
      ["email", null],
      ["email", "   "],
    ])('when %s is %p, then it answers 422 "can\'t be blank"', async (field, value) => {
      const registered = await registerUser(service);
      await expectError(
        await put(registered.token, { [field]: value }),
        422,
        field,
        "can't be blank",
      );
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.username).toBe(registered.username);
      expect(row.email).toBe(registered.email);
    });

    it("when the email is invalid, then it answers 422 email 'is invalid'", async () => {
      const registered = await registerUser(service);
      await expectError(await put(registered.token, { email: "nope" }), 422, "email", "is invalid");
    });

    it("when the user sends their own current email, then it is not 'taken' (200)", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, { email: registered.email, bio: "same me" });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user.email).toBe(registered.email);
      expect(user.bio).toBe("same me");
    });

    it("when the user sends their own current username, then it is not 'taken' (200)", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, { username: registered.username });
      expect(res.status).toBe(200);
    });

    it("when the username belongs to someone else, then it answers 409 naming only username 'has already been taken'", async () => {
      const other = await registerUser(service);
      const registered = await registerUser(service);
      for (const username of [other.username, other.username.toUpperCase()]) {
        const res = await put(registered.token, { username, email: registered.email });
        await expectErrorWithCode(res, 409, "CONFLICT", { username: [TAKEN] });
      }
    });

    it("when the email belongs to someone else, then it answers 409 naming only email 'has already been taken'", async () => {
      const other = await registerUser(service);
      const registered = await registerUser(service);
      const res = await put(registered.token, {
        email: other.email.toUpperCase(),
        username: registered.username,
      });
      await expectErrorWithCode(res, 409, "CONFLICT", { email: [TAKEN] });
    });

    it("when the email and the username both change to another user's, then one 409 names both and nothing changes", async () => {
      const other = await registerUser(service);
      const registered = await registerUser(service);
      const res = await put(registered.token, {
        email: other.email,
        username: other.username.toUpperCase(),
      });
      await expectErrorWithCode(res, 409, "CONFLICT", { email: [TAKEN], username: [TAKEN] });
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row).toMatchObject({ email: registered.email, username: registered.username });
    });

    it("when the body also sends role, status or passwordHash, then they are ignored (no mass assignment)", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, {
        bio: "still a user",
        role: "ADMIN",
        status: "BANNED",
        passwordHash: "$argon2id$forged",
        id: 999,
      });
      expect(res.status).toBe(200);
      const { user } = (await res.json()) as UserBody;
      expect(user.role).toBe("USER");
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row).toMatchObject({ role: "USER", status: "ACTIVE", bio: "still a user" });
      expect(row.passwordHash.startsWith(DEFAULT_HASH_PREFIX)).toBe(true);
      expect((await login(registered.email, registered.password)).status).toBe(200);
    });

    it("when only fields that cannot be changed are sent, then it answers 422 (nothing to change)", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, { role: "ADMIN" });
      expect(res.status).toBe(422);
      const row = await service.container.db.user.findUniqueOrThrow({
        where: { id: registered.id },
      });
      expect(row.role).toBe("USER");
    });

    it("when the user object is empty, then it answers 422", async () => {
      const registered = await registerUser(service);
      const res = await put(registered.token, {});
      expect(res.status).toBe(422);
      const body = (await res.json()) as ErrorBody;
      expect(body.code).toBe("VALIDATION_FAILED");
    });

    it("when the user envelope is missing, then it answers 422 naming user", async () => {
      const registered = await registerUser(service);
      const res = await postJson(
        `${service.url}/api/user`,
        { bio: "x" },
        tokenHeader(registered.token),
        "PUT",
      );
      await expectError(res, 422, "user", "can't be blank");
    });

    it("when no token is sent, then it answers 401 token 'is missing' before validating the body", async () => {
      const res = await postJson(`${service.url}/api/user`, { user: {} }, {}, "PUT");
      await expectError(res, 401, "token", "is missing");
    });
  });
});

describe("common passwords, refused when PASSWORD_REFUSE_COMMON is on (the production default)", () => {
  const service = useTestService({
    env: { PASSWORD_REFUSE_COMMON: "true", REDIS_KEY_PREFIX: ownRedisPrefix("refuse-common") },
  });
  const { registerFields, login, put } = usersApi(service);

  it.each(["password1", "Password1", "PASSWORD1", "iloveyou1", "12345678", "password123"])(
    "when a user registers with the common %p, then it answers 422 naming password",
    async (password) => {
      const res = await registerFields({ ...freshAccount(), password });
      await expectErrorWithCode(res, 422, "VALIDATION_FAILED", { password: [TOO_COMMON] });
    },
  );

  it("when the new password is common, then it answers 422 and the old password still works", async () => {
    const registered = await registerUser(service);
    const res = await put(registered.token, { password: "bonjour1" });
    await expectErrorWithCode(res, 422, "VALIDATION_FAILED", { password: [TOO_COMMON] });
    expect((await login(registered.email, registered.password)).status).toBe(200);
    expect((await login(registered.email, "bonjour1")).status).toBe(401);
  });

  it("when the password is not a common one, then it is accepted as usual", async () => {
    const account = freshAccount();
    expect((await registerFields(account)).status).toBe(201);
    expect((await login(account.email, account.password)).status).toBe(200);
  });
});
