import { z } from "zod";

export const tagListResponse = z
  .object({ tags: z.array(z.string()).meta({ description: "Every tag in use, sorted by name." }) })
  .meta({ id: "TagList" });
