import { hash, verify } from "@node-rs/argon2";

export interface Argon2Settings {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
}

/** `@node-rs/argon2`'s Algorithm enum is const (unusable under isolatedModules); 2 is Argon2id. */
const ARGON2ID = 2;

/**
 * argon2id hashing on libuv's thread pool, so a login never blocks the event
 * loop. Hashes carry their own parameters (PHC format), which is how old ones
 * are recognised and upgraded on the next successful login.
 */
export class PasswordHasher {
  /** A hash of nothing anyone knows, verified when an email is unknown so both answers take as long. */
  private decoy: Promise<string> | undefined;

  constructor(private readonly settings: Argon2Settings) {}

  hash(password: string): Promise<string> {
    return hash(normalise(password), {
      algorithm: ARGON2ID,
      memoryCost: this.settings.memoryKib,
      timeCost: this.settings.timeCost,
      parallelism: this.settings.parallelism,
    });
  }

  /** False for a wrong password and for a stored value that is not an argon2 hash. */
  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await verify(storedHash, normalise(password));
    } catch {
      return false;
    }
  }

  /** Spends the time a real verification would, for an account that does not exist. */
  async verifyDecoy(password: string): Promise<void> {
    this.decoy ??= this.hash(`decoy-${Math.random()}`);
    await this.verify(await this.decoy, password);
  }

  /** True when the hash was made with other parameters (or another algorithm) than today's. */
  needsRehash(storedHash: string): boolean {
    const { memoryKib, timeCost, parallelism } = this.settings;
    const expected = `$argon2id$v=19$m=${memoryKib},t=${timeCost},p=${parallelism}$`;
    return !storedHash.startsWith(expected);
  }
}

/**
 * The same password typed on two keyboards can arrive as different code points
 * ("é" precomposed or as e + accent); NFKC makes them one, as NIST SP 800-63B advises.
 */
function normalise(password: string): string {
  return password.normalize("NFKC");
}
