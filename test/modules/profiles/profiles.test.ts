import {
  auth,
  expectErrorWithCode,
  followUser,
  jsonWithContentType,
  unfollowUser,
  type Profile,
} from "../../support/api";
import { postJson, registerUser, tokenHeader, type RegisteredUser } from "../../support/auth";
import { useTestService } from "../../support/service";

/** The 422 message for following or unfollowing yourself. */
const SELF_FOLLOW = "cannot be followed or unfollowed by its own user";

interface ProfileBody {
  profile: Profile;
}

describe("profiles and following", () => {
  const service = useTestService();
  const db = () => service.container.db;
  const api = (path: string) => `${service.url}/api${path}`;

  const getProfile = (username: string, headers: Record<string, string> = {}) =>
    fetch(api(`/profiles/${encodeURIComponent(username)}`), { headers });
  const follow = (username: string, token?: string) => followUser(service, token, username);
  const unfollow = (username: string, token?: string) => unfollowUser(service, token, username);

  const followRows = (followerId: number, followingId: number) =>
    db().follow.count({ where: { followerId, followingId } });

  /** A user whose bio and image are set, so profiles show more than nulls. */
  async function userWithBio(): Promise<RegisteredUser & { bio: string; image: string }> {
    const user = await registerUser(service);
    const bio = `I write about ${user.username}`;
    const image = `https://images.example.com/${user.username}.png`;
    const res = await postJson(
      api("/user"),
      { user: { bio, image } },
      tokenHeader(user.token),
      "PUT",
    );
    expect(res.status).toBe(200);
    return { ...user, bio, image };
  }

  describe("GET /api/profiles/:username", () => {
    it("when asked anonymously, then 200 with the profile and following false", async () => {
      const celeb = await userWithBio();
      const { profile } = await jsonWithContentType<ProfileBody>(await getProfile(celeb.username));
      expect(profile).toEqual({
        username: celeb.username,
        bio: celeb.bio,
        image: celeb.image,
        following: false,
      });
    });

    it("when the user is new, then bio and image are null", async () => {
      const fresh = await registerUser(service);
      const { profile } = await jsonWithContentType<ProfileBody>(await getProfile(fresh.username));
      expect(profile).toEqual({
        username: fresh.username,
        bio: null,
        image: null,
        following: false,
      });
    });

    it("when the caller follows the user, then following is true for them and false for others", async () => {
      const celeb = await userWithBio();
      const fan = await registerUser(service);
      const stranger = await registerUser(service);
      expect((await follow(celeb.username, fan.token)).status).toBe(200);

      const seenByFan = await jsonWithContentType<ProfileBody>(
        await getProfile(celeb.username, auth(fan.token)),
      );
      expect(seenByFan.profile).toEqual({
        username: celeb.username,
        bio: celeb.bio,
        image: celeb.image,
        following: true,
      });
      const seenByStranger = await jsonWithContentType<ProfileBody>(
        await getProfile(celeb.username, auth(stranger.token)),
      );
      expect(seenByStranger.profile.following).toBe(false);
      const seenByNobody = await jsonWithContentType<ProfileBody>(await getProfile(celeb.username));
      expect(seenByNobody.profile.following).toBe(false);
    });

    it("when the caller sends a token but does not follow, then following is false", async () => {
      const celeb = await registerUser(service);
      const viewer = await registerUser(service);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await getProfile(celeb.username, auth(viewer.token)),
      );
      expect(profile.following).toBe(false);
    });

    it("when the username is unknown, then 404 profile 'not found', with or without a token", async () => {
      const viewer = await registerUser(service);
      await expectErrorWithCode(await getProfile("nobody_here"), 404, "NOT_FOUND", {
        profile: ["not found"],
      });
      await expectErrorWithCode(
        await getProfile("nobody_here", auth(viewer.token)),
        404,
        "NOT_FOUND",
        {
          profile: ["not found"],
        },
      );
    });

    it("when the username differs only in letter case, then the stored profile is returned", async () => {
      const celeb = await registerUser(service);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await getProfile(celeb.username.toUpperCase()),
      );
      expect(profile.username).toBe(celeb.username);
    });

    it("when the username cannot be a username, then 422 naming username", async () => {
      const res = await getProfile("-not a name!");
      expect(res.status).toBe(422);
      const body = (await res.json()) as { errors: Record<string, string[]> };
      expect(Object.keys(body.errors)).toEqual(["username"]);
    });

    it.each([
      ["garbage", "not-a-jwt"],
      ["a well-formed but unsigned JWT", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2ln"],
    ])(
      "when the token is %s (optional auth), then it is treated as anonymous: 200 with a WWW-Authenticate hint",
      async (_name, token) => {
        const celeb = await registerUser(service);
        const fan = await registerUser(service);
        expect((await follow(celeb.username, fan.token)).status).toBe(200);

        const res = await getProfile(celeb.username, tokenHeader(token));
        expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
        const { profile } = await jsonWithContentType<ProfileBody>(res);
        expect(profile).toEqual({
          username: celeb.username,
          bio: null,
          image: null,
          following: false,
        });
      },
    );

    it("when the token is good, then no WWW-Authenticate header is sent", async () => {
      const celeb = await registerUser(service);
      const viewer = await registerUser(service);
      const res = await getProfile(celeb.username, auth(viewer.token));
      expect(res.status).toBe(200);
      expect(res.headers.get("www-authenticate")).toBeNull();
    });
  });

  describe("POST /api/profiles/:username/follow", () => {
    it("when the caller follows someone, then 200 with following true and the follow is stored", async () => {
      const celeb = await userWithBio();
      const fan = await registerUser(service);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await follow(celeb.username, fan.token),
      );
      expect(profile).toEqual({
        username: celeb.username,
        bio: celeb.bio,
        image: celeb.image,
        following: true,
      });
      expect(await followRows(fan.id, celeb.id)).toBe(1);
      expect(await followRows(celeb.id, fan.id)).toBe(0);
    });

    it("when the caller follows twice, then both answer following true and there is one follow", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      for (let i = 0; i < 2; i++) {
        const { profile } = await jsonWithContentType<ProfileBody>(
          await follow(celeb.username, fan.token),
        );
        expect(profile.following).toBe(true);
      }
      expect(await followRows(fan.id, celeb.id)).toBe(1);
    });

    it("when the request carries an irrelevant JSON body (as the v1 collection sends), then it still follows", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      const res = await postJson(
        api(`/profiles/${celeb.username}/follow`),
        { user: { email: fan.email } },
        tokenHeader(fan.token),
      );
      const { profile } = await jsonWithContentType<ProfileBody>(res);
      expect(profile.following).toBe(true);
      expect(await followRows(fan.id, celeb.id)).toBe(1);
    });

    it("when the username differs only in letter case, then the stored user is followed", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await follow(celeb.username.toUpperCase(), fan.token),
      );
      expect(profile).toMatchObject({ username: celeb.username, following: true });
      expect(await followRows(fan.id, celeb.id)).toBe(1);
    });

    it("when no token is sent, then 401 token 'is missing' with a challenge, even for an unknown user", async () => {
      const celeb = await registerUser(service);
      const res = await follow(celeb.username);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      await expectErrorWithCode(res, 401, "UNAUTHENTICATED", { token: ["is missing"] });
      await expectErrorWithCode(await follow("nobody_here"), 401, "UNAUTHENTICATED", {
        token: ["is missing"],
      });
      expect(await db().follow.count()).toBe(0);
    });

    it("when the token is garbage, then 401 token 'is invalid' (auth is required here)", async () => {
      const celeb = await registerUser(service);
      await expectErrorWithCode(await follow(celeb.username, "not-a-jwt"), 401, "UNAUTHENTICATED", {
        token: ["is invalid"],
      });
    });

    it("when the username is unknown, then 404 profile 'not found'", async () => {
      const fan = await registerUser(service);
      await expectErrorWithCode(await follow("nobody_here", fan.token), 404, "NOT_FOUND", {
        profile: ["not found"],
      });
    });

    it("when the caller follows themselves, then 422 naming profile and nothing is stored", async () => {
      const me = await registerUser(service);
      await expectErrorWithCode(await follow(me.username, me.token), 422, "VALIDATION_FAILED", {
        profile: [SELF_FOLLOW],
      });
      await expectErrorWithCode(
        await follow(me.username.toUpperCase(), me.token),
        422,
        "VALIDATION_FAILED",
        { profile: [SELF_FOLLOW] },
      );
      expect(await db().follow.count()).toBe(0);
    });
  });

  describe("DELETE /api/profiles/:username/follow", () => {
    it("when the caller unfollows someone they follow, then 200 with following false and the follow is gone", async () => {
      const celeb = await userWithBio();
      const fan = await registerUser(service);
      expect((await follow(celeb.username, fan.token)).status).toBe(200);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await unfollow(celeb.username, fan.token),
      );
      expect(profile).toEqual({
        username: celeb.username,
        bio: celeb.bio,
        image: celeb.image,
        following: false,
      });
      expect(await followRows(fan.id, celeb.id)).toBe(0);
      const again = await jsonWithContentType<ProfileBody>(
        await getProfile(celeb.username, auth(fan.token)),
      );
      expect(again.profile.following).toBe(false);
    });

    it("when the caller unfollows twice, or someone they never followed, then both answer 200 following false", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      expect((await follow(celeb.username, fan.token)).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const { profile } = await jsonWithContentType<ProfileBody>(
          await unfollow(celeb.username, fan.token),
        );
        expect(profile.following).toBe(false);
      }
      expect(await followRows(fan.id, celeb.id)).toBe(0);
    });

    it("when only one of two followers unfollows, then the other's follow stays", async () => {
      const celeb = await registerUser(service);
      const leaving = await registerUser(service);
      const staying = await registerUser(service);
      expect((await follow(celeb.username, leaving.token)).status).toBe(200);
      expect((await follow(celeb.username, staying.token)).status).toBe(200);
      expect((await unfollow(celeb.username, leaving.token)).status).toBe(200);
      expect(await followRows(leaving.id, celeb.id)).toBe(0);
      expect(await followRows(staying.id, celeb.id)).toBe(1);
    });

    it("when the username differs only in letter case, then the stored user is unfollowed", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      expect((await follow(celeb.username, fan.token)).status).toBe(200);
      const { profile } = await jsonWithContentType<ProfileBody>(
        await unfollow(celeb.username.toUpperCase(), fan.token),
      );
      expect(profile).toMatchObject({ username: celeb.username, following: false });
      expect(await followRows(fan.id, celeb.id)).toBe(0);
    });

    it("when no token is sent, then 401 token 'is missing' and the follow stays", async () => {
      const celeb = await registerUser(service);
      const fan = await registerUser(service);
      expect((await follow(celeb.username, fan.token)).status).toBe(200);
      await expectErrorWithCode(await unfollow(celeb.username), 401, "UNAUTHENTICATED", {
        token: ["is missing"],
      });
      expect(await followRows(fan.id, celeb.id)).toBe(1);
    });

    it("when the caller unfollows themselves, then 422 naming profile", async () => {
      const me = await registerUser(service);
      await expectErrorWithCode(await unfollow(me.username, me.token), 422, "VALIDATION_FAILED", {
        profile: [SELF_FOLLOW],
      });
    });

    it("when the username is unknown, then 404 profile 'not found'", async () => {
      const fan = await registerUser(service);
      await expectErrorWithCode(await unfollow("nobody_here", fan.token), 404, "NOT_FOUND", {
        profile: ["not found"],
      });
    });
  });
});
