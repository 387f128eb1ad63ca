"""The HTTP plumbing of the local stand-ins for third parties (the postal carrier,
the SMS gateway): JSON in, JSON out, over a real socket."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connections
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def answer(self, status, body):
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def json_body(self):
        """The request's JSON object, or None when it is not one."""
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


class Server(ThreadingHTTPServer):
    """A stand-in's server. Closed, it also closes the connections its clients keep
    alive, as a process that stops would: a client's next call finds the stand-in
    gone rather than an old connection still answering."""

    daemon_threads = True

    def __init__(self, address, handler) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self):
        with self.connections_lock:
            kept_alive = list(self.connections)
        for connection in kept_alive:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the client
                pass
        super().server_close()


class Running:
    """A simulator served from a thread of this process (tests): `.url`, `.sim`, `.stop()`."""

    def __init__(self, sim, server: Server) -> None:
        self.sim, self.server = sim, server
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        # a short poll: stop() returns at once (tests start and stop one per test)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
