import { NativeConnection, Worker } from '@temporalio/worker';
import { GcpLroPlugin } from 'temporal-gcp-lro';

/** Your worker, with the package added: its activities and its Nexus service, beside your own. */
async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const worker = await Worker.create({
    connection,
    taskQueue: 'my-app',
    workflowsPath: require.resolve('./workflows'),
    plugins: [new GcpLroPlugin()], // Google credentials and LRO_* settings come from the environment
  });
  await worker.run();
}

void main();
