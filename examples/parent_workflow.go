package teardown

import (
	"crypto/sha256"
	"encoding/hex"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"
)

// Teardown cancels a Google operation with the gcp-lro canceller, as a child on its task queue.
func Teardown(ctx workflow.Context, operation string) (string, error) {
	// Shared: ending or cancelling this parent leaves it running for whoever else waits for it.
	childCtx, _ := workflow.NewDisconnectedContext(ctx)
	childCtx = workflow.WithChildOptions(childCtx, workflow.ChildWorkflowOptions{
		WorkflowID:        cancellerID(operation), // one canceller per operation
		TaskQueue:         "gcp-lro",
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	input := map[string]string{"operation": operation, "timeout": "30m"}
	var result struct {
		Outcome string `json:"outcome"`
	}
	err := workflow.ExecuteChildWorkflow(childCtx, "cancelOperation", input).Get(ctx, &result)
	return result.Outcome, err
}

// cancellerID is the canceller's workflow ID: "lro-cancel:" + the URL, bounded to 255 characters as the package
// bounds it.
func cancellerID(operation string) string {
	id := "lro-cancel:" + operation
	if len(id) <= 255 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return id[:183] + ";sha256=" + hex.EncodeToString(sum[:])
}
