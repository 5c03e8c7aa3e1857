"""Run one Chalice app from functions/ over HTTP on loopback, as `chalice local` does.

    python -m infra.local.chalice_app publishing --port 0

Uses Chalice's own local server (API Gateway emulation, threaded), without the reloader;
prints `listening on http://HOST:PORT` once the socket is bound (port 0 = any free port).
"""

import argparse
import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("publishing", "procedures", "console")


def create_server(name, host="127.0.0.1", port=0):
    from chalice.cli.factory import CLIFactory
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

    class Server(ThreadedHTTPServer):
        request_queue_size = 128  # bursts of concurrent clients (tests send 50 at once)

    factory = CLIFactory(str(ROOT / "functions" / name), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name="dev")
    app = config.chalice_app
    # What chalice.local.create_local_server does, with a larger listen backlog.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, server_cls=Server)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=APPS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = create_server(args.app, args.host, args.port)
    host, port = server.server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
