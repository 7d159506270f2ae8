/**
 * The error every validator in this package throws: it names the field and the rule broken.
 *
 * Pure: safe to import from workflow code.
 */
import { ApplicationFailure } from '@temporalio/common';

/**
 * A non-retryable `ApplicationFailure` of type `INVALID_ARGUMENT`, with `{ field, rule }` as its details so
 * callers can branch on the field. Being an `ApplicationFailure`, it fails a workflow (not its workflow task)
 * and an activity for good wherever it is thrown: in a parent that derives a canceller's workflow ID from bad
 * input, in the canceller itself, in an activity. Node callers can still tell it apart with `instanceof`.
 */
export class InvalidArgumentError extends ApplicationFailure {
  override readonly name = 'InvalidArgumentError';

  constructor(
    /** The input field at fault, e.g. `operation`, `poll.maximumInterval`, `LRO_ALLOWED_HOSTS`. */
    readonly field: string,
    /** The rule it broke, as a sentence fragment users can act on. */
    readonly rule: string,
    got?: unknown,
  ) {
    super(`${field}: ${rule}${got === undefined ? '' : ` (got ${preview(got)})`}`, 'INVALID_ARGUMENT', true, [
      { field, rule },
    ]);
  }
}

const PREVIEW_LIMIT = 80;

/** A short, escaped rendering of a rejected value: never the whole of a huge or hostile string. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  const cut = text.length > PREVIEW_LIMIT ? `${text.slice(0, PREVIEW_LIMIT)}…` : text;
  // JSON.stringify escapes CR/LF and other control characters, so a hostile value cannot forge log lines.
  return JSON.stringify(cut);
}
