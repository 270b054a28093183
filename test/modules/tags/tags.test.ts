import { deleteArticle, json, postArticle, updateArticle } from "../../support/api";
import { registerUser, uniqueName, type RegisteredUser } from "../../support/auth";
import { useTestService } from "../../support/service";

describe("tags", () => {
  const service = useTestService();
  const api = (path: string) => `${service.url}/api${path}`;

  const tags = async () => json<{ tags: string[] }>(await fetch(api("/tags")));

  /** Publishes through the API, so tags are created the way clients create them. */
  async function publish(author: RegisteredUser, tagList: string[]): Promise<string> {
    const response = await postArticle(service, author.token, {
      title: `On ${tagList.join(" ") || "nothing"}`,
      description: "Tagged",
      body: "Body",
      tagList,
    });
    return (await json<{ article: { slug: string } }>(response, 201)).article.slug;
  }

  it("when no article exists, then an empty list, to anyone", async () => {
    const response = await fetch(api("/tags"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tags: [] });
  });

  it("when more than 10 distinct tags are in use, then all of them are listed once, sorted", async () => {
    const author = await registerUser(service);
    const other = await registerUser(service);
    // Three articles (at most 10 tags each), 25 distinct tags, some shared.
    const names = Array.from({ length: 25 }, (_, i) => `tag${String(i).padStart(2, "0")}`);
    const shuffled = [...names].reverse();
    await publish(author, shuffled.slice(0, 10));
    await publish(other, shuffled.slice(10, 20));
    await publish(author, [...shuffled.slice(20, 25), shuffled[0]!, shuffled[12]!]);

    const { tags: listed } = await tags();

    expect(listed).toHaveLength(25);
    expect(listed).toEqual(names);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("when tags differ in letters and digits, then they come in alphabetical order", async () => {
    const author = await registerUser(service);
    await publish(author, ["zebra", "apple", "mango", "banana", "2d", "10x"]);
    expect((await tags()).tags).toEqual(["10x", "2d", "apple", "banana", "mango", "zebra"]);
  });

  it("when the only article carrying a tag is deleted, then the tag is no longer listed", async () => {
    const author = await registerUser(service);
    const gone = uniqueName("gone");
    const shared = uniqueName("shared");
    const doomed = await publish(author, [gone, shared]);
    await publish(author, [shared]);
    expect((await tags()).tags).toEqual([gone, shared].sort());

    expect((await deleteArticle(service, author.token, doomed)).status).toBe(204);

    expect((await tags()).tags).toEqual([shared]);
  });

  it("when an article's tags are replaced or cleared, then tags no article carries are no longer listed", async () => {
    const author = await registerUser(service);
    const slug = await publish(author, ["first", "second"]);
    const update = (tagList: string[]) => updateArticle(service, author.token, slug, { tagList });

    expect((await update(["second", "third"])).status).toBe(200);
    expect((await tags()).tags).toEqual(["second", "third"]);

    expect((await update([])).status).toBe(200);
    expect((await tags()).tags).toEqual([]);
  });

  it("when several articles introduce the same new tags at once, then all succeed and each tag is listed once", async () => {
    const author = await registerUser(service);
    const fresh = [uniqueName("fresh"), uniqueName("new")];
    const slugs = await Promise.all(Array.from({ length: 5 }, () => publish(author, fresh)));
    expect(new Set(slugs).size).toBe(5);
    expect((await tags()).tags).toEqual([...fresh].sort());
  });

  it("when an article repeats a tag, then it is listed once", async () => {
    const author = await registerUser(service);
    await publish(author, ["dup", "dup", "other"]);
    await publish(author, ["dup"]);
    expect((await tags()).tags).toEqual(["dup", "other"]);
  });
});
