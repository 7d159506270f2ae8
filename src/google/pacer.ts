/**
 * Runs calls at a bounded pace: at most `concurrency` in flight, and starts spaced so that no more than
 * `perSecond` begin in any second. Bulk cancellation keeps a project inside Google's quotas with it.
 */

/** How fast {@link runPaced} may go. */
export interface Pace {
  concurrency: number;
  /** Starts per second; `Infinity` for no spacing. */
  perSecond: number;
}

/** Start slots on one clock, shared by every call that draws from it (list pages and GETs of one round). */
export class StartClock {
  private nextStartAt = Date.now();
  private readonly spacingMs: number;

  constructor(perSecond: number) {
    this.spacingMs = Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  }

  /** Resolves at the next free start slot (at once if `signal` aborts). */
  async slot(signal?: AbortSignal): Promise<void> {
    // Each start takes the next slot on the shared clock, so the spacing holds across concurrent callers.
    const startAt = Math.max(this.nextStartAt, Date.now());
    this.nextStartAt = startAt + this.spacingMs;
    const wait = startAt - Date.now();
    if (wait > 0) await sleep(wait, signal);
  }
}

/**
 * Calls `fn` for every item, in order of start, at `pace` (drawing start slots from `clock` when given, so other
 * calls can share the pace); resolves when all have settled (rejections are `fn`'s to catch: the first one rejects
 * the whole run after the calls in flight settle). Stops starting new calls once `signal` aborts.
 */
export async function runPaced<T>(
  items: readonly T[],
  pace: Pace,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
  clock: StartClock = new StartClock(pace.perSecond),
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(pace.concurrency));
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined && !signal?.aborted) {
      const index = next++;
      await clock.slot(signal);
      if (signal?.aborted) return;
      try {
        await fn(items[index] as T, index);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
