"""A DynamoDB-protocol server on loopback for development and tests: moto's server app,
one request at a time.

moto keeps its tables in memory and does not lock them: two concurrent conditional writes
could both pass their condition, and a failed transaction restores a copy of the whole
table. DynamoDB itself guarantees conditions and transactions are atomic, so this server
serialises requests to give the same guarantees (stricter, never weaker).

    python -m infra.local.dynamodb --port 8001     # stand-alone
"""

import argparse
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class _Serialised:
    def __init__(self, app):
        self.app, self.lock = app, threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # The body is produced inside the lock: moto builds it eagerly, but be sure.
            return list(self.app(environ, start_response))


class LocalDynamoDB:
    """start() / stop() / url; restartable on the same port, keeping its data."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host, self.port = host, port
        self._server = self._thread = None

    def start(self):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        app = _Serialised(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    server = LocalDynamoDB(args.host, args.port).start()
    print(f"DynamoDB (moto) on {server.url}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
