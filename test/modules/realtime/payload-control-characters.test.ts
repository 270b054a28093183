import { publishArticle } from "../../support/api";
import { registerUser } from "../../support/auth";
import { connectSocket, joinArticle, request } from "../../support/realtime";
import { useTestService } from "../../support/service";

/*
 * A slug with a NUL used to reach PostgreSQL, which refuses NUL in text
 * (SQLSTATE 22021), and the ack said INTERNAL. Every value a client sends is
 * checked first, as the REST API checks path parameters.
 */
describe("control characters in socket payloads", () => {
  const service = useTestService();

  it.each([
    ["article:join", { slug: "a\u0000b" }, "slug"],
    ["article:leave", { slug: "a\u0000b" }, "slug"],
    ["article:join", { slug: "a\u001bb" }, "slug"],
    ["article:join", { slug: "a\u0085b" }, "slug"],
    ["auth:refresh", { token: "a\u0000b" }, "token"],
  ])(
    "when %s carries %j, then the ack refuses it as invalid, naming %s, and the socket stays usable",
    async (event, payload, field) => {
      const author = await registerUser(service);
      const article = await publishArticle(service, author.token, {
        title: "Still joinable",
        description: "d",
        body: "b",
      });
      const socket = await connectSocket(service, { token: author.token });

      expect(await request(socket, event, payload)).toEqual({
        ok: false,
        error: {
          code: "VALIDATION_FAILED",
          message: `${field} must not contain control characters`,
        },
      });
      await expect(joinArticle(socket, article.slug)).resolves.toMatchObject({ ok: true });
    },
  );
});
