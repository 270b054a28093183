import type { Prisma } from "../../generated/prisma/client";

/** A user as others see them, with whether the viewer follows them. */
export interface ProfileRecord {
  id: number;
  username: string;
  bio: string | null;
  image: string | null;
  following: boolean;
}

/**
 * The select that loads a profile for `viewerId` in the same query as what it
 * belongs to (an article's author, a comment's author): one extra lookup of
 * the viewer's follow, batched by Prisma for a whole page.
 */
export function profileSelect(viewerId: number | undefined) {
  return {
    id: true,
    username: true,
    bio: true,
    image: true,
    followers:
      viewerId === undefined
        ? false
        : { where: { followerId: viewerId }, select: { followerId: true }, take: 1 },
  } satisfies Prisma.UserSelect;
}

export function toProfileRecord(row: {
  id: number;
  username: string;
  bio: string | null;
  image: string | null;
  followers?: unknown[];
}): ProfileRecord {
  return {
    id: row.id,
    username: row.username,
    bio: row.bio,
    image: row.image,
    following: (row.followers?.length ?? 0) > 0,
  };
}
