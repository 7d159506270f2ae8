/**
 * The Temporal floor the benchmark compares cancellers with: a workflow that calls two no-op activities, as
 * a canceller whose operation is cancelled at the first poll calls two (`requestCancel`, `getOperation`).
 *
 * Sandbox code: only `@temporalio/workflow` and types.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Calls the no-op activity twice, one after the other, as a canceller calls cancel then get. */
export async function floorTwoActivities(): Promise<void> {
  await noop();
  await noop();
}
