import type { z } from "zod";
import { validationErrorFromZod } from "../errors/to-app-error";

/**
 * Parses a request part (body, query or params) with its schema; a mismatch
 * becomes a 422 naming each bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationErrorFromZod(result.error);
  return result.data;
}
