import type { z } from "zod";
import type { ProfileRecord } from "./profile.record";
import type { profileSchema } from "./profiles.schemas";

export function profileView(profile: ProfileRecord): z.output<typeof profileSchema> {
  return {
    username: profile.username,
    bio: profile.bio,
    image: profile.image,
    following: profile.following,
  };
}
