/**
 * An expected migration failure (database unreachable, invalid migration name,
 * a migration script that fails): its message is meant for the user as is.
 */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
