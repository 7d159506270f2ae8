"""Runs the README's Python parent (examples/parent_workflow.py) on a worker of its own, and prints its result.

    python3 python_parent_runner.py <temporal address> <operation URL> <parent workflow ID>
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))

from parent_workflow import Teardown  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402


async def main(address: str, operation: str, workflow_id: str) -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue="python-parents", workflows=[Teardown]):
        outcome = await client.execute_workflow(
            Teardown.run, operation, id=workflow_id, task_queue="python-parents"
        )
    print(json.dumps({"outcome": outcome}))


asyncio.run(main(*sys.argv[1:4]))
