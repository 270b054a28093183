import type { Database } from "../../core/database/prisma";
import type { OffsetPage } from "../../core/validation/paging";
import type { Prisma } from "../../generated/prisma/client";

export interface AuditEntryInput {
  /** Null for changes made outside any session, such as the admin:create command. */
  actorId: number | null;
  action: string;
  targetType: string;
  targetId: string | number;
  details?: Prisma.InputJsonObject;
}

/**
 * The audit log. Entries are written with the transaction client of the change
 * they record, so a change and its entry commit or roll back together.
 */
export class AuditService {
  constructor(private readonly db: Database) {}

  async record(tx: Prisma.TransactionClient, entry: AuditEntryInput): Promise<void> {
    await tx.auditLog.create({
      data: {
        actorId: entry.actorId,
        action: entry.action,
        targetType: entry.targetType,
        targetId: String(entry.targetId),
        details: entry.details ?? {},
      },
    });
  }

  /** Newest first. */
  async list(page: OffsetPage, filter: { action?: string }) {
    const where = filter.action === undefined ? {} : { action: filter.action };
    const [entries, total] = await Promise.all([
      this.db.auditLog.findMany({
        where,
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        skip: page.offset,
        take: page.limit,
        include: { actor: { select: { username: true } } },
      }),
      this.db.auditLog.count({ where }),
    ]);
    return { entries, total };
  }
}
