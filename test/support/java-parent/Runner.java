import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;

/**
 * Runs the README's Java parent (examples/Teardown.java) on a worker of its own, and prints its result.
 *
 * <pre>java Runner &lt;temporal address&gt; &lt;operation URL&gt; &lt;parent workflow ID&gt;</pre>
 */
public final class Runner {
  public static void main(String[] args) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(args[0]).build());
    WorkflowClient client = WorkflowClient.newInstance(service);
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factory.newWorker("java-parents").registerWorkflowImplementationTypes(Teardown.Impl.class);
    factory.start();
    Teardown parent =
        client.newWorkflowStub(
            Teardown.class,
            WorkflowOptions.newBuilder().setWorkflowId(args[2]).setTaskQueue("java-parents").build());
    String outcome = parent.run(args[1]);
    System.out.println("{\"outcome\": \"" + outcome + "\"}");
    factory.shutdownNow();
    service.shutdownNow();
  }
}
