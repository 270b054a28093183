import { ServiceUnavailableError } from "../../core/errors/app-error";

export interface HashingQueueLimits {
  /** Hashes computed at once. */
  maxConcurrent: number;
  /** Hashes that may wait for one of those slots. */
  maxQueued: number;
}

/** What a caller waiting for a free slot is told to wait before trying again. */
const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * 503 when the password-hashing queue is full: the service is busy, which is
 * not the same as a dependency being down, and the answer says so.
 */
export class PasswordHashingBusyError extends ServiceUnavailableError {
  constructor() {
    super({ server: ["is busy, try again shortly"] }, BUSY_RETRY_AFTER_SECONDS);
  }
}

/** A place in the queue, taken before the work it is for; give it back with `leave()`. */
export interface QueuePlace {
  /** Runs the work in a slot, once one is free. */
  run<T>(work: () => Promise<T>): Promise<T>;
  leave(): void;
}

/**
 * Bounds argon2 work, which is memory-hard and CPU-heavy by design: at most
 * `maxConcurrent` hashes run at once, at most `maxQueued` more wait, and any
 * beyond that are refused at once with 503 rather than making every sign-in
 * slower. A place can be taken ahead of the work (a sign-in takes it before
 * its attempt is counted by the lockout, so a busy answer never counts as a
 * failed guess).
 */
export class HashingQueue {
  private running = 0;
  /** Places taken: hashes running, waiting, or about to be asked for. */
  private taken = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: HashingQueueLimits) {}

  /** Takes a place, or throws PasswordHashingBusyError when the queue is full. */
  enter(): QueuePlace {
    if (this.taken >= this.limits.maxConcurrent + this.limits.maxQueued) {
      throw new PasswordHashingBusyError();
    }
    this.taken += 1;
    let left = false;
    return {
      run: (work) => this.inSlot(work),
      leave: () => {
        if (left) return;
        left = true;
        this.taken -= 1;
      },
    };
  }

  /** Runs the work with a place of its own. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const place = this.enter();
    try {
      return await place.run(work);
    } finally {
      place.leave();
    }
  }

  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limits.maxConcurrent) {
      this.running += 1;
    } else {
      // The slot is handed over by the work that frees it; `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}
