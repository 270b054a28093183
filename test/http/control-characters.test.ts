import { registerWithRole, tokenHeader, type RegisteredUser } from "../support/auth";
import type { ErrorBody } from "../support/api";
import { useTestService } from "../support/service";

/*
 * PostgreSQL refuses NUL in text (SQLSTATE 22021), so a NUL that reached a
 * query used to answer 500. Every path parameter and query value the API
 * documents is sent here with control characters in it, by an admin (who may
 * call every route), and must be refused as a 422 that names it.
 */

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
}

const METHODS = ["get", "put", "post", "delete", "patch"];
/** NUL, the one PostgreSQL refuses outright, inside an otherwise plain value. */
const WITH_NUL = "a\u0000b";

const service = useTestService();
let admin: RegisteredUser;
let operations: Operation[];

beforeAll(async () => {
  const response = await fetch(`${service.url}/api/openapi.json`);
  const document = (await response.json()) as OpenApiDocument;
  operations = Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => method in item).map((method) => ({
      method,
      path,
      parameters: item[method]?.parameters ?? [],
    })),
  );
});

beforeEach(async () => {
  admin = await registerWithRole(service, "ADMIN");
});

/** The operation's path with `value` for the parameter `name` and a plain value for the others. */
function pathWith(operation: Operation, name: string, value: string): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_match, parameter: string) =>
    encodeURIComponent(parameter === name ? value : plainValue(parameter)),
  );
}

/** A value each parameter accepts, so that only the one under test is refused. */
function plainValue(parameter: string): string {
  return parameter === "id" ? "1" : "plain";
}

async function call(operation: Operation, pathAndQuery: string) {
  const hasBody = operation.method === "post" || operation.method === "put";
  const response = await fetch(`${service.url}${pathAndQuery}`, {
    method: operation.method.toUpperCase(),
    headers: { ...tokenHeader(admin.token), "content-type": "application/json" },
    body: hasBody ? "{}" : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as ErrorBody };
}

/** Each documented parameter found `in` that place, as `[label, operation, name]`. */
function cases(place: Parameter["in"]): [string, Operation, string][] {
  return operations.flatMap((operation) =>
    operation.parameters
      .filter((parameter) => parameter.in === place)
      .map((parameter): [string, Operation, string] => [
        `${operation.method.toUpperCase()} ${operation.path} ${parameter.name}`,
        operation,
        parameter.name,
      ]),
  );
}

describe("control characters in path parameters and query values", () => {
  it("when the API is listed, then it has path parameters and query values to try", () => {
    // Guards the loops below against an empty document passing vacuously.
    expect(cases("path").length).toBeGreaterThanOrEqual(15);
    expect(cases("query").length).toBeGreaterThanOrEqual(10);
  });

  /** Every route's answer to a NUL in each of its path parameters. */
  async function pathAnswers() {
    const answers = [];
    for (const [label, operation, name] of cases("path")) {
      const { status, body } = await call(operation, pathWith(operation, name, WITH_NUL));
      answers.push({ label, status, named: Object.keys(body.errors ?? {}).includes(name) });
    }
    return answers;
  }

  it("when any path parameter holds a NUL, then no route answers with a server error", async () => {
    expect((await pathAnswers()).filter((answer) => answer.status >= 500)).toEqual([]);
  });

  it("when any path parameter holds a NUL, then every route answers 422 naming that parameter", async () => {
    const answers = await pathAnswers();
    expect(answers.filter((answer) => answer.status !== 422 || !answer.named)).toEqual([]);
  });

  it("when any query value holds a NUL, then every list answers 422 naming that value", async () => {
    const answers = [];
    for (const [label, operation, name] of cases("query")) {
      const query = `?${name}=${encodeURIComponent(WITH_NUL)}`;
      const { status, body } = await call(operation, `${pathWith(operation, "", "")}${query}`);
      answers.push({ label, status, named: Object.keys(body.errors ?? {}).includes(name) });
    }
    expect(answers.filter((answer) => answer.status !== 422 || !answer.named)).toEqual([]);
  });

  it.each([
    ["NUL", "\u0000"],
    ["a C0 control", "\u001b"],
    ["a tab", "\t"],
    ["a line feed", "\n"],
    ["DEL", "\u007f"],
    ["a C1 control", "\u0085"],
  ])(
    "when a slug holds %s, then 422 says it must not contain control characters",
    async (_name, control) => {
      const response = await fetch(
        `${service.url}/api/articles/${encodeURIComponent(`slug${control}x`)}`,
      );
      expect(response.status).toBe(422);
      expect(((await response.json()) as ErrorBody).errors).toEqual({
        slug: ["must not contain control characters"],
      });
    },
  );

  it.each(["tag", "author", "favorited"])(
    "when the %s filter holds a NUL, then 422 says it must not contain control characters",
    async (filter) => {
      const response = await fetch(`${service.url}/api/articles?${filter}=a%00b`);
      expect(response.status).toBe(422);
      expect(((await response.json()) as ErrorBody).errors).toEqual({
        [filter]: ["must not contain control characters"],
      });
    },
  );

  it("when a slug holds letters from beyond ASCII, then it is looked up as usual (404, not refused)", async () => {
    const response = await fetch(`${service.url}/api/articles/${encodeURIComponent("café-ü")}`);
    expect(response.status).toBe(404);
  });
});
