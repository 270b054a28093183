import { z } from "zod";
import type { ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from "zod-openapi";
import { ErrorCode } from "../errors/app-error";

/** A time in responses: ISO 8601 in UTC with milliseconds, as `Date#toISOString()` writes it. */
export const timestampSchema = z
  .string()
  .meta({ format: "date-time", example: "2026-11-24T10:00:00.000Z" });

/** The one error body (docs/adr/0003-one-error-format.md). */
export const errorSchema = z
  .object({
    errors: z
      .record(z.string(), z.array(z.string()))
      .meta({ description: "Messages by field; `field message` reads as a sentence." }),
    code: z.enum(Object.values(ErrorCode)),
    requestId: z.string().optional(),
  })
  .meta({
    id: "Error",
    example: { errors: { body: ["can't be blank"] }, code: "VALIDATION_FAILED" },
  });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The request could not be read (malformed JSON or path).",
  401: "No usable access token (`errors.token`).",
  403: "Signed in, but not allowed to do this.",
  404: 'No such resource (`errors.<resource>: ["not found"]`).',
  409: "Collides with existing data (`has already been taken`), or with a change made at the same moment, such as the article being deleted.",
  413: "The body is larger than the configured limit.",
  415: "The body is not JSON.",
  422: "A value is missing or not acceptable; each bad field is named.",
  429: "Too many requests; see `Retry-After` and the `RateLimit` headers.",
  503: "A dependency (PostgreSQL, Redis, the Markdown check) cannot serve right now; try again shortly.",
};

/** Who may call an operation; mirrors the route's access rule. */
export type OperationAccess = "public" | "optional" | "required" | { permission: string };

export interface OperationSpec {
  tag: string;
  summary: string;
  description?: string;
  access: OperationAccess;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  success:
    | { status: 200 | 201; description: string; schema: z.ZodType }
    | { status: 204; description: string };
  /** Error statuses beyond those the access rule and inputs imply (401, 403, 422). */
  errors?: readonly number[];
  /** Counted by a rate limit: adds 429. */
  limited?: boolean;
}

const TOKEN: Array<Record<string, string[]>> = [{ token: [] }, { bearer: [] }];

/** A documented operation from the same Zod schemas the route validates with. */
export function operation(spec: OperationSpec): ZodOpenApiOperationObject {
  const { access } = spec;
  const statuses = new Set(spec.errors ?? []);
  if (access !== "public" && access !== "optional") statuses.add(401);
  if (typeof access === "object") statuses.add(403);
  if (spec.params ?? spec.query ?? spec.body) statuses.add(422);
  if (spec.body) statuses.add(400);
  if (spec.limited) statuses.add(429);

  const responses: ZodOpenApiResponsesObject = {
    [`${spec.success.status}`]:
      "schema" in spec.success
        ? {
            description: spec.success.description,
            content: { "application/json": { schema: spec.success.schema } },
          }
        : { description: spec.success.description },
  };
  for (const status of [...statuses].sort((a, b) => a - b)) {
    responses[`${status}` as `4${string}`] = {
      description: ERROR_DESCRIPTIONS[status] ?? "Error.",
      content: { "application/json": { schema: errorSchema } },
    };
  }

  return {
    tags: [spec.tag],
    summary: spec.summary,
    description: [spec.description, accessNote(access)].filter(Boolean).join("\n\n"),
    security: access === "public" ? [] : access === "optional" ? [{}, ...TOKEN] : TOKEN,
    requestParams: {
      ...(spec.params === undefined ? {} : { path: spec.params }),
      ...(spec.query === undefined ? {} : { query: spec.query }),
    },
    ...(spec.body === undefined
      ? {}
      : {
          requestBody: { required: true, content: { "application/json": { schema: spec.body } } },
        }),
    responses,
  };
}

function accessNote(access: OperationAccess): string {
  if (access === "public") return "Access: anyone.";
  if (access === "optional") {
    return "Access: anyone; a valid token personalises the answer, and a bad or expired one is treated as none.";
  }
  if (access === "required") return "Access: any signed-in user.";
  return `Access: signed-in users whose role holds \`${access.permission}\` (docs/permissions.md).`;
}
