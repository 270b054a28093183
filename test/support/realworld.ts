import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import newman from "newman";

/**
 * The RealWorld spec files are upstream's and are not copied into this
 * repository: they are read from `../shared/realworld` beside the checkout,
 * or from the directory named by REALWORLD_DIR.
 */
function realworldFile(name: string): string {
  const dir = process.env.REALWORLD_DIR ?? path.resolve(__dirname, "../../../shared/realworld");
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    throw new Error(
      `${name} not found in ${dir}; set REALWORLD_DIR to the directory holding the RealWorld spec files`,
    );
  }
  return file;
}

export interface CollectionResult {
  requests: number;
  assertions: number;
  /** "<request>: <assertion or error>" for each failure. */
  failures: string[];
}

export interface CollectionOptions {
  /** One folder of the collection instead of all of it. */
  folder?: string;
  /** The new user's password; a random one unless given. */
  password?: string;
}

/**
 * Runs the official Postman collection (or one of its folders) with newman
 * against `apiUrl`, with a new user for this run as the collection expects.
 */
export function runPostmanCollection(
  apiUrl: string,
  { folder, password = `pw-${randomUUID()}` }: CollectionOptions = {},
): Promise<CollectionResult> {
  const username = `rw${randomUUID().slice(0, 8)}`;
  const globals = {
    APIURL: apiUrl,
    USERNAME: username,
    EMAIL: `${username}@example.com`,
    PASSWORD: password,
  };
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: realworldFile("Conduit.postman_collection.json"),
        folder,
        globals: { values: Object.entries(globals).map(([key, value]) => ({ key, value })) },
        reporters: [],
      },
      (error, summary) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          requests: summary.run.stats.requests.total ?? 0,
          assertions: summary.run.stats.assertions.total ?? 0,
          failures: summary.run.failures.map(
            (failure) =>
              `${failure.source?.name ?? "collection"}: ${failure.error.test ?? ""} ${failure.error.message}`,
          ),
        });
      },
    );
  });
}
