import type { Transaction } from "../../core/database/repository";
import type { AuditService } from "../audit/audit.service";
import type { Actor } from "../auth/permissions";

export interface RemovedContent {
  type: "article" | "comment";
  id: number;
  ownerId: number;
  /** What the audit entry keeps about the removed content, since the content itself is gone. */
  details: Record<string, string | number>;
}

/**
 * Moderation: when a moderator or admin removes someone else's content, the
 * removal and its audit entry commit together. Removing one's own content is
 * not moderation and is not audited.
 */
export class ModerationService {
  constructor(private readonly audit: AuditService) {}

  async recordRemoval(tx: Transaction, actor: Actor, content: RemovedContent): Promise<void> {
    if (content.ownerId === actor.id) return;
    await this.audit.record(tx, {
      actorId: actor.id,
      action: `${content.type}.delete`,
      targetType: content.type,
      targetId: content.id,
      details: { ...content.details, ownerId: content.ownerId, actorRole: actor.role },
    });
  }
}
