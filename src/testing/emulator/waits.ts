/**
 * WaitOperation (`POST {name}:wait`): requests held until their operation is done or their timeout passes, woken
 * by a timer at the operation's next due transition and by every change the store reports.
 */
import { envelope, type Answer } from './answers';
import type { OperationStore } from './operations';
import { parseJsonObject, type RouteMatch } from './routes';

/** The longest the emulator holds a wait, and how long it holds one that names no timeout: one minute. */
export const WAIT_MAX_MS = 60_000;
const DURATION_PATTERN = /^(\d+)(\.\d{1,9})?s$/;
const BODY_FIELDS = new Set(['name', 'timeout']);

interface HeldWait {
  readonly name: string;
  /** Epoch milliseconds at which the wait answers whatever the operation's state. */
  readonly deadline: number;
  readonly send: (answer: Answer) => void;
  timer?: NodeJS.Timeout;
}

/** The waits being held, by operation name. */
export class HeldWaits {
  private readonly held = new Map<string, Set<HeldWait>>();
  /** Names whose waits are to be checked once the current change is over. */
  private readonly woken = new Set<string>();
  private closed = false;

  constructor(private readonly operations: OperationStore) {
    operations.onChange((name) => this.wake(name));
  }

  /**
   * Answer a wait request through `send`, at once or when it settles. Returns what to call if the client leaves
   * first: the wait is then dropped without an answer and counts no poll.
   */
  hold(match: RouteMatch, body: string, send: (answer: Answer) => void): () => void {
    const timeoutMs = readTimeout(body);
    if (typeof timeoutMs !== 'number') {
      send(timeoutMs);
      return () => undefined;
    }
    const now = Date.now();
    const name = match.name ?? '';
    const answer = this.operations.startWait(match, now) ?? this.operations.settleWait(name, timeoutMs === 0, now);
    if (answer || this.closed) {
      if (answer) send(answer);
      return () => undefined;
    }
    const wait: HeldWait = { name, deadline: now + timeoutMs, send };
    const waits = this.held.get(name) ?? new Set<HeldWait>();
    waits.add(wait);
    this.held.set(name, waits);
    this.schedule(wait, now);
    return () => this.release(wait);
  }

  /** Drop every held wait without an answer, and hold no more: the emulator is closing. */
  dropAll(): void {
    this.closed = true;
    for (const waits of this.held.values()) {
      for (const wait of waits) clearTimeout(wait.timer);
    }
    this.held.clear();
    this.woken.clear();
  }

  private check(wait: HeldWait): void {
    if (!this.held.get(wait.name)?.has(wait)) return;
    const now = Date.now();
    const answer = this.operations.settleWait(wait.name, now >= wait.deadline, now);
    if (!answer) {
      this.schedule(wait, now);
      return;
    }
    this.release(wait);
    wait.send(answer);
  }

  /** Check `wait` again at its deadline or the operation's next due transition, whichever comes first. */
  private schedule(wait: HeldWait, now: number): void {
    clearTimeout(wait.timer);
    const at = Math.min(wait.deadline, this.operations.nextDueAt(wait.name) ?? Infinity);
    wait.timer = setTimeout(() => this.check(wait), Math.max(0, at - now));
    // A held wait is the client's to wait for; it must not keep a test process (or the emulator's host) alive.
    wait.timer.unref();
  }

  private release(wait: HeldWait): void {
    clearTimeout(wait.timer);
    const waits = this.held.get(wait.name);
    waits?.delete(wait);
    if (waits?.size === 0) this.held.delete(wait.name);
  }

  /**
   * Check the waits for `name` once the change under way is over: the store reports changes from inside its own
   * updates, and a wait that answers counts a poll, which is a change in turn.
   */
  private wake(name: string): void {
    if (!this.held.has(name) || this.woken.has(name)) return;
    this.woken.add(name);
    queueMicrotask(() => {
      this.woken.delete(name);
      for (const wait of [...(this.held.get(name) ?? [])]) this.check(wait);
    });
  }
}

/**
 * The timeout a wait's body asks for, in milliseconds (at most {@link WAIT_MAX_MS}; that too when the body is
 * empty or names none), or the 400 its body answers. The body is a `WaitOperationRequest`: `timeout`, a proto3
 * JSON duration such as `"30s"` or `"0.5s"`, and optionally `name`.
 */
function readTimeout(body: string): number | Answer {
  if (body.trim() === '') return WAIT_MAX_MS;
  const json = parseJsonObject(body);
  if (!json) return envelope('INVALID_ARGUMENT', 'Invalid JSON payload received. Expected an object.');
  const unknown = Object.keys(json).find((field) => !BODY_FIELDS.has(field));
  if (unknown !== undefined) {
    return envelope('INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.`);
  }
  const timeout = json['timeout'];
  if (timeout === undefined) return WAIT_MAX_MS;
  const match = typeof timeout === 'string' ? DURATION_PATTERN.exec(timeout) : null;
  if (!match) {
    return envelope(
      'INVALID_ARGUMENT',
      `Invalid value at 'timeout' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(timeout)}`,
    );
  }
  return Math.min(WAIT_MAX_MS, Number(`${match[1] ?? '0'}${match[2] ?? ''}`) * 1000);
}
