/**
 * A loop of calls that all answer at once (the model adapter) never returns to Node's
 * event loop, so signals (Ctrl-C, SIGTERM), timers and pipes are never served. Loops
 * that run sequences await letEventsIn() between sequences.
 */

let last = Date.now();

/** Yields to the event loop (one setImmediate turn) if it has not run for 20 ms; else resolves at once. */
export async function letEventsIn(): Promise<void> {
  const now = Date.now();
  if (now - last < 20) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  last = Date.now();
}
