import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.ChildWorkflowStub;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Cancels a Google operation with the gcp-lro canceller, as a child on its task queue. */
@WorkflowInterface
public interface Teardown {
  @WorkflowMethod
  String run(String operation);

  /** The canceller's workflow ID: "lro-cancel:" + the URL, bounded to 255 characters as the package bounds it. */
  static String cancellerId(String operation) {
    String id = "lro-cancel:" + operation;
    if (id.length() <= 255) return id;
    try {
      byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return id.substring(0, 183) + ";sha256=" + HexFormat.of().formatHex(sha256);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  class Impl implements Teardown {
    @Override
    public String run(String operation) {
      ChildWorkflowStub canceller =
          Workflow.newUntypedChildWorkflowStub(
              "cancelOperation",
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(cancellerId(operation)) // one canceller per operation
                  .setTaskQueue("gcp-lro")
                  // Shared: ending or cancelling this parent leaves it running for whoever else waits for it.
                  .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                  .setCancellationType(ChildWorkflowCancellationType.ABANDON)
                  .build());
      Map<?, ?> result = canceller.execute(Map.class, Map.of("operation", operation, "timeout", "30m"));
      return (String) result.get("outcome");
    }
  }
}
