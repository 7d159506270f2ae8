import { continueAsNew } from '@temporalio/workflow';
import { validateAwaitInput, type AwaitOperationInput } from '../src/canceller-input';
import type { AwaitOperationResult } from '../src/outcome';
import { invalidArgument, runCanceller, type CancellerState } from './canceller';

/**
 * A durable cancel-with-timeout: waits for the operation to finish; if `timeout` passes first, cancels it
 * and confirms the cancel exactly as `cancelOperation` does (unless `cancelOnTimeout` is false).
 *
 * @param input one JSON object, as the Web UI's Start Workflow form passes it.
 * @param carried state from the previous run after continue-as-new; never set it yourself.
 */
export async function awaitOperation(
  input: AwaitOperationInput,
  carried?: CancellerState,
): Promise<AwaitOperationResult> {
  let settings;
  try {
    settings = validateAwaitInput(input);
  } catch (err) {
    invalidArgument(err);
  }
  return runCanceller(settings, carried, (state) => continueAsNew<typeof awaitOperation>(input, state));
}
