import { continueAsNew } from '@temporalio/workflow';
import { validateCancelInput, type CancelOperationInput } from '../src/canceller-input';
import type { CancelOperationResult } from '../src/outcome';
import { invalidArgument, runCanceller, type CancellerState } from './canceller';

/**
 * Cancels a Google Cloud long-running operation and confirms it: sends `:cancel`, then polls GetOperation
 * until the operation is CANCELLED, finishes anyway, or the timeout passes, and records the outcome in the
 * result, the `LroOutcome` search attribute and the memo.
 *
 * @param input one JSON object, as the Web UI's Start Workflow form passes it.
 * @param carried state from the previous run after continue-as-new; never set it yourself.
 */
export async function cancelOperation(
  input: CancelOperationInput,
  carried?: CancellerState,
): Promise<CancelOperationResult> {
  let settings;
  try {
    settings = validateCancelInput(input);
  } catch (err) {
    invalidArgument(err);
  }
  const { timedOut: _timedOut, ...result } = await runCanceller(settings, carried, (state) =>
    continueAsNew<typeof cancelOperation>(input, state),
  );
  return result;
}
