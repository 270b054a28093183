import { hash, verify } from "@node-rs/argon2";
import { HashingQueue, type QueuePlace } from "./hashing-queue";

export interface Argon2Settings {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
}

/** `@node-rs/argon2`'s Algorithm enum is const (unusable under isolatedModules); 2 is Argon2id. */
const ARGON2ID = 2;

/** Where a hash runs: a place taken earlier, or else a place of its own in the queue. */
type Slot = Pick<QueuePlace, "run">;

/**
 * argon2id hashing on libuv's thread pool, so a login never blocks the event
 * loop, and through the hashing queue, so a burst of sign-ins and password
 * changes cannot slow every other one down. Hashes carry their own parameters
 * (PHC format), which is how old ones are recognised and upgraded on the next
 * successful login.
 */
export class PasswordHasher {
  /** A hash of nothing anyone knows, verified when an email is unknown so both answers take as long. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly settings: Argon2Settings,
    /** The service's shared queue; a one-off use (the admin:create command) hashes one at a time. */
    private readonly queue = new HashingQueue({ maxConcurrent: 1, maxQueued: 0 }),
  ) {}

  /** A place in the hashing queue, taken now (503 busy when it is full) for a hash asked for later. */
  reserve(): QueuePlace {
    return this.queue.enter();
  }

  hash(password: string, slot: Slot = this.queue): Promise<string> {
    return slot.run(() => this.argon2Hash(password));
  }

  /** False for a wrong password and for a stored value that is not an argon2 hash. */
  verify(storedHash: string, password: string, slot: Slot = this.queue): Promise<boolean> {
    return slot.run(() => this.argon2Verify(storedHash, password));
  }

  /** Spends the time a real verification would, for an account that does not exist. */
  async verifyDecoy(password: string, slot: Slot = this.queue): Promise<void> {
    await slot.run(async () => {
      this.decoy ??= this.argon2Hash(`decoy-${Math.random()}`);
      await this.argon2Verify(await this.decoy, password);
    });
  }

  /** True when the hash was made with other parameters (or another algorithm) than today's. */
  needsRehash(storedHash: string): boolean {
    const { memoryKib, timeCost, parallelism } = this.settings;
    const expected = `$argon2id$v=19$m=${memoryKib},t=${timeCost},p=${parallelism}$`;
    return !storedHash.startsWith(expected);
  }

  private argon2Hash(password: string): Promise<string> {
    return hash(normalise(password), {
      algorithm: ARGON2ID,
      memoryCost: this.settings.memoryKib,
      timeCost: this.settings.timeCost,
      parallelism: this.settings.parallelism,
    });
  }

  private async argon2Verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await verify(storedHash, normalise(password));
    } catch {
      return false;
    }
  }
}

/**
 * The same password typed on two keyboards can arrive as different code points
 * ("é" precomposed or as e + accent); NFKC makes them one, as NIST SP 800-63B advises.
 */
function normalise(password: string): string {
  return password.normalize("NFKC");
}
