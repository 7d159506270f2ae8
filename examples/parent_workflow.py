from temporalio import workflow


@workflow.defn
class Teardown:
    """Cancels a Google operation with the gcp-lro canceller, as a child on its task queue."""

    @workflow.run
    async def run(self, operation: str) -> str:
        result = await workflow.execute_child_workflow(
            "cancelOperation",
            {"operation": operation, "timeout": "30m"},
            id=f"lro-cancel:{operation}",  # one canceller per operation
            task_queue="gcp-lro",
            # Shared: ending or cancelling this parent leaves it running for whoever else waits for it.
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
        )
        return result["outcome"]
