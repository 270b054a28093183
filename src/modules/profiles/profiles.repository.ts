import { Repository, type Transaction } from "../../core/database/repository";
import { type ProfileRecord, profileSelect, toProfileRecord } from "./profile.record";

/** Users as profiles, and who follows whom. */
export class ProfilesRepository extends Repository {
  async findByUsername(username: string, viewerId?: number): Promise<ProfileRecord | null> {
    const row = await this.db.user.findUnique({
      where: { username },
      select: profileSelect(viewerId),
    });
    return row === null ? null : toProfileRecord(row);
  }

  /** True when the follow is new; following twice changes nothing. */
  async follow(tx: Transaction, followerId: number, followingId: number): Promise<boolean> {
    const { count } = await tx.follow.createMany({
      data: [{ followerId, followingId }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** True when there was a follow to end. */
  async unfollow(followerId: number, followingId: number): Promise<boolean> {
    const { count } = await this.db.follow.deleteMany({ where: { followerId, followingId } });
    return count === 1;
  }

  /** Ids of everyone who follows the user. */
  async followerIds(userId: number): Promise<number[]> {
    const rows = await this.db.follow.findMany({
      where: { followingId: userId },
      select: { followerId: true },
    });
    return rows.map((row) => row.followerId);
  }
}
