import type { Transaction } from "../../core/database/repository";
import type { TagsRepository } from "./tags.repository";

/** Tags: created on first use, listed while some article carries them. */
export class TagsService {
  constructor(private readonly tags: TagsRepository) {}

  /** All tags in use, sorted by name (RealWorld asks for all of them, not the most popular). */
  all(): Promise<string[]> {
    return this.tags.listInUse();
  }

  /** Inside the caller's transaction: the ids of these names, creating new tags. */
  idsFor(tx: Transaction, names: readonly string[]): Promise<number[]> {
    return this.tags.idsCreatingMissing(tx, names);
  }
}
