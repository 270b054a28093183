import { z } from "zod";
import { usernameInPath } from "../users/users.schemas";

export const usernameParams = z.object({ username: usernameInPath });

export const profileSchema = z
  .object({
    username: z.string(),
    bio: z.string().nullable(),
    image: z.string().nullable(),
    following: z.boolean().meta({ description: "Whether the caller follows this user." }),
  })
  .meta({ id: "Profile" });

export const profileResponse = z.object({ profile: profileSchema }).meta({ id: "ProfileResponse" });
