import hashlib

from temporalio import workflow


def canceller_id(operation: str) -> str:
    """The canceller's workflow ID: lro-cancel:<URL>, bounded to 255 characters as the package bounds it."""
    full = f"lro-cancel:{operation}"
    if len(full) <= 255:
        return full
    return full[:183] + ";sha256=" + hashlib.sha256(full.encode()).hexdigest()


@workflow.defn
class Teardown:
    """Cancels a Google operation with the gcp-lro canceller, as a child on its task queue."""

    @workflow.run
    async def run(self, operation: str) -> str:
        result = await workflow.execute_child_workflow(
            "cancelOperation",
            {"operation": operation, "timeout": "30m"},
            id=canceller_id(operation),  # one canceller per operation
            task_queue="gcp-lro",
            # Shared: ending or cancelling this parent leaves it running for whoever else waits for it.
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
        )
        return result["outcome"]
