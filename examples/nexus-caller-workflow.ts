import { createNexusServiceClient } from '@temporalio/workflow';
import { lroNexusService } from 'temporal-gcp-lro/workflows';

/** Cancels a Google operation through the gcp-lro Nexus endpoint, from a workflow in any namespace. */
export async function cancelThroughNexus(operation: string): Promise<string> {
  const lro = createNexusServiceClient({ service: lroNexusService, endpoint: 'gcp-lro' });
  const result = await lro.executeOperation(
    'cancelOperation',
    { operation, timeout: '30m' },
    { scheduleToCloseTimeout: '2h' },
  );
  return result.outcome;
}
