"""Runs the README's Python parent (examples/parent_workflow.py) on a worker of its own, and prints its result.

    python3 python_parent_runner.py <temporal address> <operation URL> <parent workflow ID> [cancel]

With `cancel`, it cancels the parent once its canceller is running, and prints how the parent ended.
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))

from parent_workflow import Teardown, canceller_id  # noqa: E402
from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.exceptions import CancelledError  # noqa: E402
from temporalio.worker import Worker  # noqa: E402


async def main(address: str, operation: str, workflow_id: str, mode: str = "run") -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue="python-parents", workflows=[Teardown]):
        handle = await client.start_workflow(
            Teardown.run, operation, id=workflow_id, task_queue="python-parents"
        )
        if mode == "cancel":
            canceller = client.get_workflow_handle(canceller_id(operation))
            for _ in range(200):
                try:
                    await canceller.describe()
                    break
                except Exception:
                    await asyncio.sleep(0.1)
            await handle.cancel()
            try:
                await handle.result()
                print(json.dumps({"parent": "completed"}))
            except WorkflowFailureError as err:
                ended = "cancelled" if isinstance(err.cause, CancelledError) else "failed"
                print(json.dumps({"parent": ended}))
            return
        print(json.dumps({"outcome": await handle.result()}))


asyncio.run(main(*sys.argv[1:5]))
# The answer is out: leave without interpreter finalization, where the SDK's native threads can abort the process
# ("Fatal Python error: PyGILState_Release ... finalizing") after a run that succeeded.
sys.stdout.flush()
os._exit(0)
