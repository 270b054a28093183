import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client";

export type Database = PrismaClient;

export interface DatabaseOptions {
  url: string;
  /** Connections in this process's pool. */
  poolSize: number;
}

/** A Prisma client over node-postgres. Nothing connects until the first query. */
export function createDatabase({ url, poolSize }: DatabaseOptions): Database {
  const adapter = new PrismaPg({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
