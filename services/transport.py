"""The service client's HTTP transport: one keep-alive HTTP/1.1 connection per server thread, a
plain socket that sends the request httpx built and llhttp (Node.js's HTTP parser, through
`httptools`) to read the answer, under httpx and supabase-py as before.

httpx's own transport (httpcore's pool and h11's parser) took about 160 µs of the 620 of CPU a
supabase-py call cost (BENCHMARKS.md round 20). `http.client`, which replaced it, still read
each answer through layers of buffered files and parsed its headers with the `email` package:
in the real server, 10 to 16 % of a worker's CPU per request (round 21). httpx still
reads the response (headers, decoding, JSON), so supabase-py, its errors and its timeouts work as
they did. The service's httpx client (`ServiceHttpClient`) puts a plain call (every call
supabase-py makes for the service) on the wire itself, as the bytes httpx would have sent, and
hands the rest to httpx.

What httpx's transport promised, this one keeps: a connection that cannot be opened is tried once
more (the request was never sent, so that is safe for every call) and nothing else is retried; a
connection the server closed while it sat idle, or idle for longer than `keepalive_expiry`, is
replaced before a request is sent on it; TLS is verified as httpx verifies it; a header that
would split the request is refused, as `http.client` and h11 refuse it; every failure is one of
httpx's `TransportError`s, which the service answers with a 503. Each thread uses only its own
connection, so no request can be handed a connection another one closes.
"""

from __future__ import annotations

import functools
import re
import select
import socket
import ssl
import threading
import time
from typing import Any

import httptools
import httpx

# A CR, LF or NUL in a header would end it early and let the rest pass as headers of its own.
SPLITS_A_HEADER = re.compile(rb"[\r\n\0]")


class Connection:
    """An open socket to one origin (scheme, host, port), and when its last answer ended."""

    __slots__ = ("sock", "origin", "idle_since")

    def __init__(self, sock: socket.socket, origin: tuple) -> None:
        self.sock, self.origin, self.idle_since = sock, origin, time.monotonic()

    def close(self) -> None:
        self.sock.close()


class Answer:
    """One response as llhttp parses it (httptools calls these methods): status, headers, body."""

    __slots__ = ("parser", "head_only", "headers", "body", "keep_alive", "ends_at_close", "complete")

    def __init__(self, method: str) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.head_only = method == "HEAD"  # a HEAD's answer announces a body it does not send
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.keep_alive = self.ends_at_close = self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if 100 <= self.parser.get_status_code() < 200:
            self.headers = []  # an interim answer (103 Early Hints): the real one follows
            return
        self.keep_alive = self.parser.should_keep_alive()
        names = {name.lower() for name, _ in self.headers}
        self.ends_at_close = b"content-length" not in names and b"transfer-encoding" not in names
        self.complete = self.head_only

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not 100 <= self.parser.get_status_code() < 200:
            self.complete = True

    def response(self) -> httpx.Response:
        """The answer as httpx's response, its body still to be read (and decoded) by httpx."""
        return httpx.Response(self.parser.get_status_code(), headers=self.headers,
                              stream=httpx.ByteStream(b"".join(self.body)),
                              extensions={"http_version": b"HTTP/1.1"})


def wire_message(method: str, raw_path: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """A request as HTTP/1.1 puts it on the wire; a header that would split it is refused."""
    lines = [b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), raw_path)]
    for name, value in headers:
        if SPLITS_A_HEADER.search(name) or SPLITS_A_HEADER.search(value):
            raise httpx.LocalProtocolError(f"header {name!r} holds a line break or NUL")
        lines += (name, b": ", value, b"\r\n")
    lines += (b"\r\n", body)
    return b"".join(lines)


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
        self.open: dict[Connection, threading.Thread] = {}
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        answer = self.exchange((url.scheme, url.host, url.port), request.method, self.message(request),
                               request.extensions.get("timeout", {}), request)
        return answer.response()

    def exchange(self, origin: tuple, method: str, message: bytes, timeouts: dict,
                 request: httpx.Request | None = None) -> Answer:
        """Send `message` on this thread's connection to `origin` and read the answer whole."""
        connection = self.connection(origin, timeouts.get("connect"))
        try:
            connection.sock.settimeout(timeouts.get("write"))
            connection.sock.sendall(message)
        except TimeoutError as error:
            raise self.failed(connection, httpx.WriteTimeout, error, request) from error
        except OSError as error:
            raise self.failed(connection, httpx.WriteError, error, request) from error
        answer = Answer(method)
        try:
            connection.sock.settimeout(timeouts.get("read"))
            while not answer.complete:
                data = connection.sock.recv(65536)
                if not data:
                    if answer.ends_at_close:
                        break  # a body without a length ends where the connection does
                    raise ConnectionResetError("the server closed the connection before its answer ended")
                answer.parser.feed_data(data)
        except TimeoutError as error:
            raise self.failed(connection, httpx.ReadTimeout, error, request) from error
        except (httptools.HttpParserError, ConnectionResetError) as error:  # malformed, cut short, or none
            raise self.failed(connection, httpx.RemoteProtocolError, error, request) from error
        except OSError as error:
            raise self.failed(connection, httpx.ReadError, error, request) from error
        if answer.keep_alive and answer.complete:
            connection.idle_since = time.monotonic()
        else:
            self.discard(connection)
        return answer

    @staticmethod
    def message(request: httpx.Request) -> bytes:
        """The request as HTTP/1.1 puts it on the wire: httpx has set its Host and Content-Length."""
        return wire_message(request.method, request.url.raw_path, request.headers.raw, request.read())

    def connection(self, origin: tuple, connect_timeout: float | None) -> Connection:
        """This thread's open connection to `origin`, or a new one."""
        connections = self.local.__dict__.setdefault("connections", {})
        connection = connections.get(origin)
        if connection is not None and self.reusable(connection):
            return connection
        if connection is not None:
            self.discard(connection)
        scheme, host, port = origin
        for attempt in range(self.retries + 1):
            try:
                connection = Connection(self.connect(scheme, host, port, connect_timeout), origin)
                break
            except OSError as error:  # TimeoutError and ssl.SSLError among them
                if attempt == self.retries:
                    kind = httpx.ConnectTimeout if isinstance(error, TimeoutError) else httpx.ConnectError
                    raise kind(f"could not connect to {host}:{port}: {error}") from error
        connections[origin] = connection
        with self.lock:
            for other, owner in list(self.open.items()):
                if not owner.is_alive():
                    other.close()
                    del self.open[other]
            self.open[connection] = threading.current_thread()
        return connection

    def connect(self, scheme: str, host: str, port: int, timeout: float | None) -> socket.socket:
        """A new socket to the origin, without Nagle's delay (a request goes out in one write), in
        TLS for https."""
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return self.ssl_context.wrap_socket(sock, server_hostname=host) if scheme == "https" else sock
        except OSError:
            sock.close()
            raise

    def reusable(self, connection: Connection) -> bool:
        """Neither idle too long nor closed by the server: a socket with something to read between
        requests has an end of stream, or bytes no request asked for."""
        if time.monotonic() - connection.idle_since > self.keepalive_expiry:
            return False
        readable, _, _ = select.select([connection.sock], [], [], 0)
        return not readable

    def failed(self, connection: Connection, kind: type[httpx.TransportError], error: Exception,
               request: httpx.Request | None) -> httpx.TransportError:
        """Drop the connection (its state is unknown) and say what failed as httpx would."""
        self.discard(connection)
        return kind(f"{type(error).__name__}: {error}", request=request)

    def discard(self, connection: Connection) -> None:
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


class NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Nothing to keep: PostgREST sets no cookies."""


NO_COOKIES = NoCookies()
CLIENT_DEFAULT = httpx.USE_CLIENT_DEFAULT


class ServiceHttpClient(httpx.Client):
    """httpx's client, without what the service's calls never use and pay for on every one.

    No cookie jar: httpx reads every response into it, through urllib's cookie machinery, though
    PostgREST sets no cookies (355 000 instructions of each call, BENCHMARKS.md round 15). Each
    URL parsed once: supabase-py hands httpx a URL string per call (one per SQL function), and
    httpx parsed it twice, once for the URL and again to add the call's query parameters, even
    when there were none (6 % of a worker's Python time, round 21). And a call httpx would send
    unchanged (a body of bytes or text, no query parameters, no auth, hooks, redirects or proxy:
    every call supabase-py makes for the service) goes straight to the transport, as the bytes
    httpx would have put on the wire: httpx's request and response objects, built and passed
    through its layers of auth, redirects and streams, were a quarter of a call's CPU (round 23).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Kept by the URL as given: this client has no base URL that could change under it.
        self._merge_url = functools.lru_cache(maxsize=1024)(self._merge_url)

    @property
    def cookies(self) -> httpx.Cookies:
        return NO_COOKIES

    def _merge_queryparams(self, params: httpx.QueryParams | None = None) -> httpx.QueryParams | None:
        """No parameters as None: httpx then takes the URL as it is instead of parsing it again."""
        return super()._merge_queryparams(params) or None

    def request(self, method: str, url: httpx.URL | str, *, content: Any = None, data: Any = None,
                files: Any = None, json: Any = None, params: Any = None, headers: Any = None,
                cookies: Any = None, auth: Any = CLIENT_DEFAULT, follow_redirects: Any = CLIENT_DEFAULT,
                timeout: Any = CLIENT_DEFAULT, extensions: Any = None) -> httpx.Response:
        """httpx's `request`; a call httpx would send unchanged goes straight to the transport."""
        target = self._merge_url(url)
        transport = self._transport_for_url(target)
        plain = (isinstance(transport, ThreadConnectionTransport) and isinstance(content, (bytes, str, type(None)))
                 and data is files is json is cookies is extensions is None and not params
                 and (self.auth if auth is CLIENT_DEFAULT else auth) is None
                 and not (self.follow_redirects if follow_redirects is CLIENT_DEFAULT else follow_redirects)
                 and not (self._event_hooks["request"] or self._event_hooks["response"]))
        if not plain:
            return super().request(method, url, content=content, data=data, files=files, json=json, params=params,
                                   headers=headers, cookies=cookies, auth=auth, follow_redirects=follow_redirects,
                                   timeout=timeout, extensions=extensions)
        body = content.encode() if isinstance(content, str) else content or b""
        given = headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)
        timeouts = (self.timeout if timeout is CLIENT_DEFAULT else httpx.Timeout(timeout)).as_dict()
        message = self.plain_message(method, target, given, body)
        answer = transport.exchange((target.scheme, target.host, target.port), method, message, timeouts)
        response = answer.response()
        response.request = SentRequest(method, target, given)
        response.read()
        return response

    def plain_message(self, method: str, url: httpx.URL, given: httpx.Headers, body: bytes) -> bytes:
        """The bytes httpx would send: Host, a zero Content-Length for a POST, PUT or PATCH without
        a body, the client's headers but those the call gives, the call's, and its body's length."""
        given_names = {name.lower() for name, _ in given.raw}
        headers = [*((n, v) for n, v in self._headers.raw if n.lower() not in given_names), *given.raw]
        names = {name.lower() for name, _ in headers}
        automatic = []
        if b"host" not in names:
            automatic.append((b"Host", url.netloc))
        if not body and method in ("POST", "PUT", "PATCH") and not names & {b"content-length", b"transfer-encoding"}:
            automatic.append((b"Content-Length", b"0"))
        if body and b"content-length" not in names:
            headers.append((b"Content-Length", str(len(body)).encode()))
        return wire_message(method, url.raw_path, automatic + headers, body)


class SentRequest:
    """The request a plainly sent call's response answers, as its readers ask for it: postgrest reads
    the headers the call gave (its `Prefer`)."""

    __slots__ = ("method", "url", "headers")

    def __init__(self, method: str, url: httpx.URL, headers: httpx.Headers) -> None:
        self.method, self.url, self.headers = method, url, headers
