import { ApplicationFailure } from '@temporalio/common';

/**
 * The error every validator in this package throws: it names the field and the rule broken.
 *
 * Pure: safe to import from workflow code. Workflows and activities turn it into a non-retryable
 * `ApplicationFailure` of type `INVALID_ARGUMENT` (see {@link invalidArgumentFailure}).
 */

export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';

  constructor(
    /** The input field at fault, e.g. `operation`, `poll.maximumInterval`, `LRO_ALLOWED_HOSTS`. */
    readonly field: string,
    /** The rule it broke, as a sentence fragment users can act on. */
    readonly rule: string,
    got?: unknown,
  ) {
    super(`${field}: ${rule}${got === undefined ? '' : ` (got ${preview(got)})`}`);
  }
}

/**
 * The non-retryable `ApplicationFailure` of type `INVALID_ARGUMENT` users see, with `{ field, rule }` as its
 * details so callers can branch on the field.
 */
export function invalidArgumentFailure(err: InvalidArgumentError): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'INVALID_ARGUMENT',
    message: err.message,
    nonRetryable: true,
    details: [{ field: err.field, rule: err.rule }],
  });
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
