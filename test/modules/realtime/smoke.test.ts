import { publishArticle, publishComment } from "../../support/api";
import { registerUser } from "../../support/auth";
import {
  collect,
  connectSocket,
  joinArticle,
  nextEvent,
  useTwoInstances,
} from "../../support/realtime";

const instances = useTwoInstances();

test("a comment posted on B reaches a socket on A in the article's room", async () => {
  const { a, b } = instances;
  const author = await registerUser(b);
  const article = await publishArticle(b, author.token, {
    title: "Live",
    description: "d",
    body: "b",
  });
  const viewer = await connectSocket(a);
  const outsider = await connectSocket(a);
  const outside = collect(outsider, "comment:created");
  const joined = await joinArticle(viewer, article.slug);
  expect(joined).toEqual({ ok: true, slug: article.slug, viewers: 1 });
  const arrives = nextEvent<{ slug: string; comment: { body: string } }>(viewer, "comment:created");
  await publishComment(b, author.token, article.slug, "hello live");
  const event = await arrives;
  expect(event.slug).toBe(article.slug);
  expect(event.comment.body).toBe("hello live");
  expect(outside).toEqual([]);
});
