-- DropIndex
DROP INDEX "notifications_actor_id_idx";

-- CreateIndex
CREATE INDEX "notifications_actor_id_recipient_id_kind_article_id_idx" ON "notifications"("actor_id", "recipient_id", "kind", "article_id");
