#!/usr/bin/env python3
"""Cold starts and request latency of Agora's Lambda functions, as Lambda reports them.

A Lambda Runtime API of its own (the 2018-06-01 interface the `lambda_runtime` crate
speaks) starts each function's binary the way Lambda starts a custom runtime, and prints
Lambda's REPORT line for every invocation. As in Lambda, the init duration runs from the
process's start to its first `GET /runtime/invocation/next` (the function is ready), and
an invocation's duration from handing it its event to its response's last byte (streamed
responses included). `cargo lambda watch` prints no REPORT lines, hence this.

    bench/lambda_runtime.py --bin-dir DIR [--functions a,b] [--invocations N] [--json OUT]

Each function gets its own emulator and process, `AWS_LAMBDA_*` as Lambda sets them, and
the event `events/<function>.apigw-v2.json` (or its schedule, queue or custom-resource
event); the environment passes through, so the caller decides what the function reaches
(nothing, for the init figure without network; the local servers, for request latency).
"""

import argparse
import glob
import http.server
import json
import math
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = "/2018-06-01/runtime"


class Invocation:
    def __init__(self, event: bytes):
        self.id = str(uuid.uuid4())
        self.event = event
        self.sent = 0.0
        self.finished = 0.0
        self.error = None
        self.body = b""
        self.done = threading.Event()


class Runtime(http.server.ThreadingHTTPServer):
    """One function's Runtime API: events wait in `pending` until the function asks."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.pending: "queue.Queue[Invocation]" = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.ready = threading.Event()
        self.ready_at = 0.0
        self.init_error = None

    def handle_error(self, request, client_address):
        # The function's process is killed while it waits for its next event.
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Runtime

    def setup(self):
        super().setup()
        # Each answer leaves at once (no Nagle wait for the client's delayed ACK).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers (a streamed response's error headers) end with a blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status: int, body: bytes = b"", headers: dict | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != f"{API}/invocation/next":
            return self.answer(404)
        if not self.server.ready.is_set():
            self.server.ready_at = time.perf_counter()
            self.server.ready.set()
        invocation = self.server.pending.get()
        self.server.invocations[invocation.id] = invocation
        deadline_ms = int((time.time() + 30) * 1000)
        invocation.sent = time.perf_counter()
        self.answer(
            200,
            invocation.event,
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:bench",
                "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
            },
        )

    def do_POST(self):
        body = self.body()
        parts = self.path[len(API) + 1 :].split("/")
        if parts == ["init", "error"]:
            self.server.init_error = body.decode(errors="replace")
            self.server.ready.set()
            return self.answer(202)
        if len(parts) == 3 and parts[0] == "invocation" and parts[1] in self.server.invocations:
            invocation = self.server.invocations[parts[1]]
            invocation.finished = time.perf_counter()
            invocation.body = body
            if parts[2] == "error":
                invocation.error = body.decode(errors="replace")
            invocation.done.set()
            return self.answer(202)
        return self.answer(404)


def event_of(function: str) -> bytes:
    for kind in ("apigw-v2", "schedule", "sqs", "cloudformation"):
        path = os.path.join(ROOT, "events", f"{function}.{kind}.json")
        if os.path.exists(path):
            with open(path, "rb") as file:
                return file.read()
    return b"{}"


def max_memory_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return 0


def run(binary: str, function: str, invocations: int, memory_mb: int) -> dict:
    runtime = Runtime()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{runtime.server_address[1]}",
        AWS_LAMBDA_FUNCTION_NAME=function,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(memory_mb),
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{function}",
        AWS_LAMBDA_LOG_STREAM_NAME="bench",
    )
    event = event_of(function)
    started = time.perf_counter()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = {"function": function, "invocations": []}
    try:
        while not runtime.ready.wait(0.01):
            if process.poll() is not None or time.perf_counter() - started > 20:
                break
        if not runtime.ready.is_set() or runtime.init_error:
            process.kill()
            stderr = process.communicate()[1].decode(errors="replace")
            result["error"] = runtime.init_error or stderr.strip()[-400:] or "did not become ready"
            return result
        result["init_ms"] = (runtime.ready_at - started) * 1000
        for _ in range(invocations):
            invocation = Invocation(event)
            runtime.pending.put(invocation)
            if not invocation.done.wait(30):
                result["error"] = "an invocation got no answer within 30 s"
                break
            duration = (invocation.finished - invocation.sent) * 1000
            first = not result["invocations"]
            print(
                f"REPORT RequestId: {invocation.id}\tDuration: {duration:.2f} ms\t"
                f"Billed Duration: {math.ceil(duration)} ms\tMemory Size: {memory_mb} MB\t"
                f"Max Memory Used: {max_memory_mb(process.pid)} MB"
                + (f"\tInit Duration: {result['init_ms']:.2f} ms" if first else "")
                + f"\t({function}{', error' if invocation.error else ''})",
                flush=True,
            )
            result["invocations"].append(
                {"ms": duration, "error": invocation.error, "status": status_of(invocation.body)}
            )
        result["max_memory_mb"] = max_memory_mb(process.pid)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        runtime.shutdown()
        runtime.server_close()
    return result


def status_of(body: bytes):
    try:
        return json.loads(body).get("statusCode")
    except (ValueError, AttributeError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", required=True, help="where the functions' binaries are")
    parser.add_argument("--functions", help="comma-separated (default: every bin of functions/)")
    parser.add_argument("--invocations", type=int, default=1)
    parser.add_argument("--memory", type=int, default=256)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.functions:
        functions = args.functions.split(",")
    else:
        functions = sorted(
            os.path.basename(path)[: -len(".rs")]
            for path in glob.glob(os.path.join(ROOT, "functions", "src", "bin", "*.rs"))
        )
    # `migrate` answers CloudFormation at a URL of its event; nothing here stands in for it.
    functions = [f for f in functions if f != "migrate"]
    results = []
    for function in functions:
        binary = os.path.join(args.bin_dir, function)
        if not os.path.exists(binary):
            binary = os.path.join(args.bin_dir, function, "bootstrap")
        results.append(run(binary, function, args.invocations, args.memory))
    failed = [r for r in results if "error" in r]
    inits = [r["init_ms"] for r in results if "init_ms" in r]
    if inits:
        print(
            f"init over {len(inits)} functions: median {statistics.median(inits):.1f} ms, "
            f"max {max(inits):.1f} ms ({max(results, key=lambda r: r.get('init_ms', 0))['function']})"
        )
    for r in failed:
        print(f"{r['function']}: {r['error']}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
