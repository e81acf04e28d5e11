#!/usr/bin/env python3
"""A bmadflow client written with Temporal's Python SDK, to prove the workflow contract is SDK-neutral.

It starts ``ProjectWorkflow`` by its type name with a plain JSON request, polls the ``state``
query until some steps are done, pauses the project (``pause`` signal), asks for a manual
checkpoint (``requestCheckpoint`` signal), waits until ``state.checkpoints`` shows it committed,
logs a decision (``addDecision`` update), checks that two bad updates are refused (an unknown
checkpoint kind, a risk probability out of range), resumes the project (``resume`` signal), waits
for the result and prints a JSON summary on stdout.
Nothing here uses bmadflow's Java classes: every payload is a dict through temporalio's default
JSON converter, shaped as docs/workflow-contract.md describes.

Exit codes: 0 on success, 1 when the project or the server did something unexpected, 2 for bad
arguments or a bad request file. Every failure prints one line naming what failed and what to do.

Usage:
  python3 sdk_client.py --address 127.0.0.1:7233 --namespace default --task-queue bmadflow-orchestration \
      --project py-demo --request request.json [--timeout 120] [--min-steps 2]

The request file holds a whole ProjectRequest (an object with ``definition``) or only a workflow
definition (an object with ``sequence``); ``projectId`` is set from ``--project`` either way.
"""

import argparse
import asyncio
import json
import os
import sys
import time

try:
    from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
    from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
except ImportError:  # pragma: no cover - reported to the caller
    print("sdk_client.py: the Python package temporalio is missing; pip install temporalio", file=sys.stderr)
    sys.exit(2)

WORKFLOW_TYPE = "ProjectWorkflow"
WORKFLOW_ID_PREFIX = "bmadflow-project-"
MAX_REQUEST_BYTES = 4 * 1024 * 1024
POLL_SECONDS = 0.05


class ContractError(Exception):
    """The project or the server did not behave as the workflow contract says."""


def load_request(path, project_id, workspace):
    """Reads the request file: a whole ProjectRequest or only its definition."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_REQUEST_BYTES + 1)
    except OSError as e:
        raise ValueError(f"request file {path} cannot be read ({e.strerror}); pass an existing JSON file") from e
    if len(raw) > MAX_REQUEST_BYTES:
        raise ValueError(f"request file {path} is larger than {MAX_REQUEST_BYTES} bytes; pass a ProjectRequest or a definition")
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ValueError(f"request file {path} is not JSON ({e}); write a ProjectRequest or a definition as JSON") from e
    if not isinstance(doc, dict):
        raise ValueError(f"request file {path} holds a JSON {type(doc).__name__}; it must hold an object")
    if "definition" in doc:
        request = dict(doc)
    elif "sequence" in doc:
        request = {"definition": doc}
    else:
        raise ValueError(f"request file {path} has neither 'definition' (a ProjectRequest) nor 'sequence' (a definition)")
    request["projectId"] = project_id
    if workspace is not None:
        request["workspace"] = workspace
    return request


async def poll(handle, what, until, deadline):
    """Queries ``state`` until ``until(state)`` holds; fails naming ``what`` at the deadline."""
    last = None
    while time.monotonic() < deadline:
        try:
            last = await handle.query("state")
        except Exception as e:  # a worker that has not taken the workflow up yet, or a transient error
            last = {"error": str(e)}
        else:
            if until(last):
                return last
            if last.get("phase") == "complete":
                raise ContractError(f"project completed before {what}; give the agents a step delay so there is time")
        await asyncio.sleep(POLL_SECONDS)
    raise ContractError(f"timed out waiting for {what}; last state query answered {json.dumps(last)[:300]}")


async def refusal(handle, update, argument):
    """Sends an update the contract says is refused; returns the refusal's message."""
    try:
        answer = await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as e:
        return e.cause.message if e.cause is not None else str(e)
    raise ContractError(f"update {update} accepted {json.dumps(argument)} (answered {json.dumps(answer)}); it must be refused")


def manual_checkpoints(state):
    return [c for c in state.get("checkpoints") or [] if c.get("type") == "manual"]


async def run(args):
    request = load_request(args.request, args.project, args.workspace)
    deadline = time.monotonic() + args.timeout
    client = await Client.connect(args.address, namespace=args.namespace)
    attributes = TypedSearchAttributes([
        SearchAttributePair(SearchAttributeKey.for_keyword("BmadflowProject"), args.project),
        SearchAttributePair(SearchAttributeKey.for_keyword("BmadflowPhase"), "not-started"),
        SearchAttributePair(SearchAttributeKey.for_keyword("BmadflowStatus"), "running"),
    ])
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        request,
        id=WORKFLOW_ID_PREFIX + args.project,
        task_queue=args.task_queue,
        memo={"definition": request["definition"].get("id"), "workspace": request.get("workspace") or "(worker default)",
              "startedBy": "sdk_client.py"},
        search_attributes=attributes if not args.no_search_attributes else None,
    )
    started = await poll(handle, f"{args.min_steps} completed steps",
                         lambda s: s.get("stepsCompleted", 0) >= args.min_steps, deadline)
    await handle.signal("pause", "sdk_client.py: hold the project for a manual checkpoint")
    paused = await poll(handle, "the project to report paused", lambda s: s.get("paused") is True, deadline)
    before = len(manual_checkpoints(paused))
    await handle.signal("requestCheckpoint", {"kind": "milestone", "reason": "python sdk contract check",
                                              "requestedBy": "sdk_client.py"})
    committed = await poll(handle, "the manual checkpoint to be committed",
                           lambda s: len(manual_checkpoints(s)) > before, deadline)
    checkpoint = manual_checkpoints(committed)[before]
    decision_id = await handle.execute_update("addDecision", {"title": "Keep the contract SDK-neutral",
                                                              "rationale": "a Python client drives the project",
                                                              "madeBy": "sdk_client.py", "critical": False})
    refused = {
        "createCheckpoint": await refusal(handle, "createCheckpoint", {"kind": "weekly", "reason": "no such kind"}),
        "reportRisk": await refusal(handle, "reportRisk", {"title": "out of range", "probability": 9, "impact": 1}),
    }
    await handle.signal("resume", "sdk_client.py: checkpoint committed")
    progress = await handle.query("progress")
    current_step = await handle.query("currentStep")
    remaining = max(1.0, deadline - time.monotonic())
    try:
        result = await asyncio.wait_for(handle.result(), remaining)
    except asyncio.TimeoutError as e:
        raise ContractError(f"project {args.project} did not finish within {args.timeout} s; see its history in the Web UI") from e
    final = result.get("finalState") if isinstance(result, dict) else None
    if not isinstance(final, dict):
        raise ContractError(f"the result of {WORKFLOW_TYPE} has no finalState object: {json.dumps(result)[:300]}")
    summary = {
        "projectId": final.get("projectId"),
        "workflowId": handle.id,
        "runId": handle.result_run_id,
        "stepsAtStart": started.get("stepsCompleted"),
        "pausedAtStep": paused.get("step"),
        "progressAtCheckpoint": progress,
        "currentStepAtCheckpoint": current_step,
        "manualCheckpoint": checkpoint,
        "decisionId": decision_id,
        "refusedUpdates": refused,
        "finalPhase": final.get("phase"),
        "stepsCompleted": final.get("stepsCompleted"),
        "stepsPlanned": final.get("stepsPlanned"),
        "paused": final.get("paused"),
        "checkpointIds": [c.get("checkpointId") for c in final.get("checkpoints") or []],
    }
    print(json.dumps(summary, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run one bmadflow project through Temporal's Python SDK.")
    parser.add_argument("--address", required=True, help="Temporal frontend, host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default="bmadflow-orchestration")
    parser.add_argument("--project", required=True, help="the project id (1-64 letters, digits, '-' or '_')")
    parser.add_argument("--request", required=True, help="JSON file: a ProjectRequest or a workflow definition")
    parser.add_argument("--workspace", default=None, help="the workspace directory (default: the worker's)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run (default 120)")
    parser.add_argument("--min-steps", type=int, default=2, help="steps to wait for before the checkpoint (default 2)")
    parser.add_argument("--no-search-attributes", action="store_true",
                        help="start without bmadflow's search attributes (a namespace that lacks them)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args))
    except ValueError as e:
        print(f"sdk_client.py: {e}", file=sys.stderr)
        return 2
    except ContractError as e:
        print(f"sdk_client.py: project {args.project}: {e}", file=sys.stderr)
        return 1
    except WorkflowFailureError as e:
        cause = e.cause.message if e.cause is not None else str(e)
        print(f"sdk_client.py: project {args.project}: {WORKFLOW_TYPE} failed: {cause}", file=sys.stderr)
        return 1
    except Exception as e:  # connection refused, an RPC error: say which and where
        print(f"sdk_client.py: project {args.project} at {args.address}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # Leave without the interpreter's finalization: the SDK's native runtime threads can still be
    # winding down then, and CPython 3.11 aborts on them ("PyGILState_Release: thread state ...
    # must be current"), turning a finished run into exit code 134.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
