"""Executes a notebook headless with nbclient against a kernel, the way JupyterLab would: every
execute_request carries the cell's id in its metadata (`cellId`), which nbclient alone does not
send. Afterwards asks the kernel's `fancyflow` comm for the workflow. Prints one JSON document:
{"cells": [{"id", "cell_type", "outputs"}], "workflow": <get-workflow result>}.

    JUPYTER_PATH=<data dir> /usr/bin/python3 test/kernel/run-notebook.py <notebook.ipynb>
"""
import json
import os
import sys
import time
import uuid

import nbformat
from nbclient import NotebookClient
from nbclient.util import run_sync


def comm_request(kc, comm_id, data, timeout=60):
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kc.shell_channel.send(msg)
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = run_sync(kc.get_iopub_msg)(timeout=timeout)
        if reply["msg_type"] != "comm_msg":
            continue
        content = reply["content"]
        if content.get("comm_id") == comm_id and content["data"].get("type") == "reply" and content["data"].get("id") == data["id"]:
            return content["data"]
    raise TimeoutError("no comm reply")


def main(path):
    nb = nbformat.read(path, as_version=4)
    kernel_name = os.environ.get("FANCYFLOW_KERNEL_NAME", "fancyflow")
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=180,
        allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    current = {"id": None}
    workflow = None
    with client.setup_kernel():
        kc = client.kc

        def execute(code, silent=False, store_history=True, user_expressions=None, allow_stdin=None, stop_on_error=True):
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": False,
                "stop_on_error": stop_on_error,
            }
            metadata = {"cellId": current["id"]} if current["id"] else {}
            msg = kc.session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(msg)
            return msg["header"]["msg_id"]

        kc.execute = execute
        for index, cell in enumerate(nb.cells):
            current["id"] = cell.get("id")
            client.execute_cell(cell, index)

        comm_id = uuid.uuid4().hex
        kc.shell_channel.send(kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "fancyflow", "data": {}}))
        reply = comm_request(kc, comm_id, {"v": int(os.environ.get("FANCYFLOW_PROTOCOL_VERSION", "2")), "id": "wf", "type": "get-workflow"})
        workflow = reply.get("result") if reply.get("ok") else {"error": reply.get("error")}

    cells = [
        {"id": c.get("id"), "cell_type": c.cell_type, "outputs": c.get("outputs", [])}
        for c in nb.cells
    ]
    json.dump({"cells": cells, "workflow": workflow}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
