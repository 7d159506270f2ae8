import { executeCancelOperation } from 'temporal-gcp-lro/workflows';

/** Tears down an environment: cancels its long-running operation and returns how that ended. */
export async function teardown(operation: string): Promise<string> {
  // Starts the operation's one canceller as a child, or joins the one already running (started from the CLI,
  // a client, the Web UI or another parent): a retried parent never sends a second cancel.
  const result = await executeCancelOperation({ operation, timeout: '30m' });
  if (result.outcome !== 'CANCELLED') {
    // COMPLETED, FAILED, UNIMPLEMENTED, NOT_CANCELLABLE, NOT_FOUND, TIMED_OUT: decide what that means for you.
  }
  return result.outcome;
}
