import type { User } from "../../generated/prisma/client";

/**
 * The RealWorld user body. `role` goes beyond the spec (front ends that do
 * not know it ignore it); `refreshToken` appears only where one is issued.
 */
export function userBody(user: User, token: string, refreshToken?: string) {
  return {
    user: {
      email: user.email,
      username: user.username,
      bio: user.bio,
      image: user.image,
      role: user.role,
      token,
      ...(refreshToken === undefined ? {} : { refreshToken }),
    },
  };
}
