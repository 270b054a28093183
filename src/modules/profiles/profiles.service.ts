import type { Database } from "../../core/database/prisma";
import { inTransaction } from "../../core/database/repository";
import { NotFoundError, ValidationError } from "../../core/errors/app-error";
import type { DomainEvents } from "../../core/events/domain-events";
import type { NotificationsService } from "../notifications/notifications.service";
import type { ProfileRecord } from "./profile.record";
import type { ProfilesRepository } from "./profiles.repository";

interface ProfilesServiceDeps {
  db: Database;
  profiles: ProfilesRepository;
  notifications: NotificationsService;
  events: DomainEvents;
}

/** Profiles and following. Following is idempotent: doing it twice is one follow. */
export class ProfilesService {
  constructor(private readonly deps: ProfilesServiceDeps) {}

  async get(username: string, viewerId?: number): Promise<ProfileRecord> {
    const profile = await this.deps.profiles.findByUsername(username, viewerId);
    if (profile === null) throw new NotFoundError("profile");
    return profile;
  }

  /** Ids of everyone who follows the user, for announcing what they publish. */
  followerIds(userId: number): Promise<number[]> {
    return this.deps.profiles.followerIds(userId);
  }

  async follow(followerId: number, username: string): Promise<ProfileRecord> {
    const { db, profiles, notifications, events } = this.deps;
    const target = await this.otherThan(followerId, username);
    const published = await inTransaction(db, async (tx) => {
      if (!(await profiles.follow(tx, followerId, target.id))) return [];
      return [
        { type: "profile.followed" as const, followerId, followingId: target.id },
        ...(await notifications.notify(tx, {
          recipientId: target.id,
          actorId: followerId,
          kind: "FOLLOW",
        })),
      ];
    });
    events.publish(...published);
    return { ...target, following: true };
  }

  async unfollow(followerId: number, username: string): Promise<ProfileRecord> {
    const { profiles, events } = this.deps;
    const target = await this.otherThan(followerId, username);
    const ended = await profiles.unfollow(followerId, target.id);
    if (ended) events.publish({ type: "profile.unfollowed", followerId, followingId: target.id });
    return { ...target, following: false };
  }

  /** The profile, which must not be the caller's own: nobody follows or unfollows themselves. */
  private async otherThan(callerId: number, username: string): Promise<ProfileRecord> {
    const target = await this.get(username, callerId);
    if (target.id === callerId) {
      throw new ValidationError({ profile: ["cannot be followed or unfollowed by its own user"] });
    }
    return target;
  }
}
