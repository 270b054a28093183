import { randomUUID } from "node:crypto";
import type { Database } from "../../src/core/database/prisma";
import type { Prisma } from "../../src/generated/prisma/client";

/** Short unique suffixes keep factory rows from colliding across tests. */
function unique(): string {
  return randomUUID().slice(0, 8);
}

export function createUser(db: Database, data: Partial<Prisma.UserCreateInput> = {}) {
  const name = `user_${unique()}`;
  return db.user.create({
    data: {
      email: `${name}@example.com`,
      username: name,
      // Not a real hash: factories make rows, the accounts module makes logins.
      passwordHash: "$argon2id$factory",
      ...data,
    },
  });
}

export function createArticle(
  db: Database,
  authorId: number,
  data: Partial<Prisma.ArticleUncheckedCreateInput> = {},
) {
  const id = unique();
  return db.article.create({
    data: {
      slug: `an-article-${id}`,
      title: `An article ${id}`,
      description: "What it is about",
      body: "# Heading\n\nSome *Markdown*.",
      authorId,
      ...data,
    },
  });
}

export function createComment(db: Database, articleId: number, authorId: number, body = "Nice.") {
  return db.comment.create({ data: { articleId, authorId, body } });
}
