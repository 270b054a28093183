import type { Transaction } from "../../core/database/repository";
import type { AuditService } from "../audit/audit.service";
import type { Actor } from "../auth/permissions";

export interface ModeratedContent {
  type: "article" | "comment";
  id: number;
  ownerId: number;
  /** What the audit entry keeps about the content, which may be gone or changed afterwards. */
  details: Record<string, string | number>;
}

/**
 * Moderation: when a moderator or admin edits or removes someone else's
 * content, the change and its audit entry commit together. Changing one's own
 * content is not moderation and is not audited.
 */
export class ModerationService {
  constructor(private readonly audit: AuditService) {}

  /** Writes the audit entry `<type>.<verb>` (e.g. `article.delete`) when the content is not the actor's. */
  async record(
    tx: Transaction,
    actor: Actor,
    verb: "update" | "delete",
    content: ModeratedContent,
  ): Promise<void> {
    if (content.ownerId === actor.id) return;
    await this.audit.record(tx, {
      actorId: actor.id,
      action: `${content.type}.${verb}`,
      targetType: content.type,
      targetId: content.id,
      details: { ...content.details, ownerId: content.ownerId, actorRole: actor.role },
    });
  }
}
