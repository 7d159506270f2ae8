/**
 * The floor's activity: does nothing, so a workflow that calls it twice costs only what Temporal itself costs.
 */

/** Creates the floor's activities. */
export function createFloorActivities() {
  return {
    /** Returns at once. */
    async noop(): Promise<void> {},
  };
}

/** The floor's activities, for `proxyActivities<FloorActivities>()`. */
export type FloorActivities = ReturnType<typeof createFloorActivities>;
