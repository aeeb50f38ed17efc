"""The service client's HTTP transport: one keep-alive HTTP/1.1 connection per server thread, on
the standard library's `http.client`, under httpx and supabase-py as before.

httpx's own transport (httpcore's pool and h11's parser) took about 160 µs of the 620 of CPU a
supabase-py call cost, and as much wall time (BENCHMARKS.md round 20); `http.client` does the
same exchange in a fraction of it. httpx still builds the request and reads the response
(headers, decoding, JSON), so supabase-py, its errors and its timeouts work as they did.

What httpx's transport promised, this one keeps: a connection that cannot be opened is tried once
more (the request was never sent, so that is safe for every call) and nothing else is retried; a
connection the server closed while it sat idle, or idle for longer than `keepalive_expiry`, is
replaced before a request is sent on it; TLS is verified as httpx verifies it; every failure
is one of httpx's `TransportError`s, which the service answers with a 503. Each thread uses
only its own connection, so no request can be handed a connection another one closes.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time

import httpx


class ThreadConnectionTransport(httpx.BaseTransport):
    """httpx transport: each thread keeps one connection per origin (scheme, host, port)."""

    def __init__(self, *, verify: ssl.SSLContext | str | bool = True, retries: int = 1,
                 keepalive_expiry: float = 5.0) -> None:
        self.ssl_context = httpx.create_ssl_context(verify=verify)
        self.retries = retries
        self.keepalive_expiry = keepalive_expiry
        self.local = threading.local()
        # Every thread's connections, by the thread that owns them: for close(), and to close
        # those of threads that have ended (a thread's own dictionary goes with it, not its sockets).
        self.open: dict[http.client.HTTPConnection, threading.Thread] = {}
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        origin = (request.url.scheme, request.url.host, request.url.port)
        connection = self.connection(origin, timeouts.get("connect"))
        try:
            connection.sock.settimeout(timeouts.get("write"))
            connection.putrequest(request.method, request.url.raw_path.decode("ascii"),
                                  skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders(request.read())
        except TimeoutError as error:
            raise self.failed(connection, httpx.WriteTimeout, error, request) from error
        except OSError as error:
            raise self.failed(connection, httpx.WriteError, error, request) from error
        try:
            connection.sock.settimeout(timeouts.get("read"))
            response = connection.getresponse()
            body = response.read()
        except TimeoutError as error:
            raise self.failed(connection, httpx.ReadTimeout, error, request) from error
        except http.client.HTTPException as error:  # a malformed answer, or none (RemoteDisconnected)
            raise self.failed(connection, httpx.RemoteProtocolError, error, request) from error
        except OSError as error:
            raise self.failed(connection, httpx.ReadError, error, request) from error
        if response.will_close:
            self.discard(connection)
        else:
            connection.idle_since = time.monotonic()
        return httpx.Response(response.status, headers=response.getheaders(), stream=httpx.ByteStream(body),
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason.encode()})

    def connection(self, origin: tuple, connect_timeout: float | None) -> http.client.HTTPConnection:
        """This thread's open connection to `origin`, or a new one."""
        connections = self.local.__dict__.setdefault("connections", {})
        connection = connections.get(origin)
        if connection is not None and self.reusable(connection):
            return connection
        if connection is not None:
            self.discard(connection)
        scheme, host, port = origin
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self.ssl_context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        for attempt in range(self.retries + 1):
            try:
                connection.connect()
                break
            except OSError as error:  # TimeoutError among them
                connection.close()
                if attempt == self.retries:
                    kind = httpx.ConnectTimeout if isinstance(error, TimeoutError) else httpx.ConnectError
                    raise kind(f"could not connect to {host}:{port}: {error}") from error
        connection.origin, connection.idle_since = origin, time.monotonic()
        connections[origin] = connection
        with self.lock:
            for other, owner in list(self.open.items()):
                if not owner.is_alive():
                    other.close()
                    del self.open[other]
            self.open[connection] = threading.current_thread()
        return connection

    def reusable(self, connection: http.client.HTTPConnection) -> bool:
        """Neither idle too long nor closed by the server: a socket with something to read between
        requests has an end of stream, or bytes no request asked for."""
        if connection.sock is None or time.monotonic() - connection.idle_since > self.keepalive_expiry:
            return False
        readable, _, _ = select.select([connection.sock], [], [], 0)
        return not readable

    def failed(self, connection: http.client.HTTPConnection, kind: type[httpx.TransportError], error: Exception,
               request: httpx.Request) -> httpx.TransportError:
        """Drop the connection (its state is unknown) and say what failed as httpx would."""
        self.discard(connection)
        return kind(f"{type(error).__name__}: {error}", request=request)

    def discard(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        connections = self.local.__dict__.get("connections", {})
        if connections.get(connection.origin) is connection:
            del connections[connection.origin]
        with self.lock:
            self.open.pop(connection, None)

    def close(self) -> None:
        with self.lock:
            for connection in self.open:
                connection.close()
            self.open.clear()
