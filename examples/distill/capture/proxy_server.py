"""Capture proxy: forwards teacher API traffic upstream and records it for distillation.

Captured records are stored next to the model checkpoints they were
produced with, so they can be replayed later, e.g.::

    >>> torch.load("x.pt")

Nothing in this docstring is executed.
"""

import json
import time

import httpx

UPSTREAM = "https://teacher.internal"
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


async def proxy(method, path, headers, body, sink):
    url = UPSTREAM + path
    headers = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=None) as client:
        upstream = await client.stream(method, url, headers=headers, content=body)
        chunks = []
        async for chunk in upstream.aiter_bytes():
            chunks.append(chunk)
            yield chunk
    sink.write(
        json.dumps(
            {
                "method": method,
                "path": path,
                "status": upstream.status_code,
                "elapsed_s": round(time.monotonic() - started, 3),
                "response": b"".join(chunks).decode("utf-8", "replace"),
            }
        )
        + "\n"
    )
