/** Settles as `work` does, or rejects after `ms` milliseconds, whichever comes first. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `work` for at most `ms` milliseconds and says whether it settled in time. Never rejects. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(
      work.catch(() => undefined),
      Math.max(ms, 0),
      "waiting",
    );
    return true;
  } catch {
    return false;
  }
}
