import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { operation } from "../../core/openapi/operation";

const tag = "Health";

export const healthPaths: ZodOpenApiPathsObject = {
  "/health/live": {
    get: operation({
      tag,
      summary: "Liveness: the process answers",
      access: "public",
      success: {
        status: 200,
        description: "Alive.",
        schema: z.object({ status: z.literal("ok") }),
      },
    }),
  },
  "/health/ready": {
    get: operation({
      tag,
      summary: "Readiness: PostgreSQL and Redis answer",
      access: "public",
      success: {
        status: 200,
        description: "Ready.",
        schema: z.object({
          status: z.literal("ok"),
          checks: z.record(z.string(), z.enum(["up", "down"])),
        }),
      },
      errors: [503],
    }),
  },
};
