// The one way a test waits for something asynchronous: poll an assertion until it passes or the
// deadline ends (then its last error is thrown). No bare sleeps; no timing assertions.
export async function eventually<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const interval = options.intervalMs ?? 20;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}

/** Polls `probe` until it yields a value (anything but null, undefined or false), and returns it. */
export function waitUntil<T>(
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  what = 'condition',
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return eventually(async () => {
    const value = await probe();
    if (value === null || value === undefined || value === false) throw new Error(`${what}: not met in time`);
    return value;
  }, options);
}

/** Reads until `done` holds for what was read, and returns that reading. */
export function readUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return eventually(async () => {
    const value = await read();
    if (!done(value)) throw new Error(`not as expected in time: ${JSON.stringify(value)?.slice(0, 500)}`);
    return value;
  }, options);
}
