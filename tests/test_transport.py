"""The service client's HTTP layer (services.transport: its transport, under httpx's client and
under the service's own, which sends plain calls itself) against real sockets: local HTTP servers
that keep a connection, close it behind the client's back, answer late or not at all, compress,
or speak TLS with a certificate of their own. The API's calls through the gateway exercise the
rest (every other test, and the outages in test_faults.py)."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.transport import SentRequest, ServiceHttpClient, ThreadConnectionTransport


class Upstream(ThreadingHTTPServer):
    """An HTTP/1.1 server on a free port that counts the connections it accepts."""

    daemon_threads = True

    def __init__(self, handler, tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), handler)
        self.connections = 0
        self.tls = tls
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def get_request(self):
        sock, address = super().get_request()
        self.connections += 1
        return (self.tls.wrap_socket(sock, server_side=True) if self.tls else sock), address

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server_address[1]}/"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class Answers(BaseHTTPRequestHandler):
    """Answers every POST with its own body as JSON, keeping the connection open."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.answer(json.dumps({"echo": body.decode(), "path": self.path}).encode())

    def answer(self, body: bytes, **headers):
        self.send_response(200)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(params=[httpx.Client, ServiceHttpClient], ids=["httpx", "service"])
def client(request):
    """The transport under httpx's own client, and under the service's, which sends a plain call
    (every one these tests make) without httpx's request and response layers."""
    with request.param(transport=ThreadConnectionTransport(), timeout=2) as http:
        yield http


def test_one_connection_carries_a_thread_s_requests(client):
    with Upstream(Answers) as upstream:
        answers = [client.post(upstream.url + f"rpc/{n}", content=f"call {n}").json() for n in range(5)]
    assert answers == [{"echo": f"call {n}", "path": f"/rpc/{n}"} for n in range(5)]
    assert upstream.connections == 1


def test_the_service_client_sends_query_parameters_and_parses_each_url_once():
    with ServiceHttpClient(transport=ThreadConnectionTransport(), timeout=2) as http, Upstream(Answers) as upstream:
        url = upstream.url + "rpc/summary"
        plain = [http.build_request("POST", url) for _ in range(2)]
        assert plain[0].url == plain[1].url == httpx.URL(url)
        assert plain[0].url._uri_reference is plain[1].url._uri_reference  # one parse, shared
        assert http.post(url, params={"p_course_id": "c1"}, content="x").json()["path"] == "/rpc/summary?p_course_id=c1"
        assert http.post(url, content="x").json()["path"] == "/rpc/summary"


@pytest.mark.parametrize("method, content, headers", [
    ("POST", b'{"p_learner_id": "x"}', {"Content-Type": "application/json", "Prefer": "return=representation"}),
    ("POST", "text", {"accept": "text/plain", "user-agent": "mine", "X-Learner-Check": "account:1"}),
    ("POST", None, {}), ("POST", b"", None), ("GET", None, None), ("DELETE", b"x", {"Content-Length": "1"}),
    ("PATCH", None, {"Host": "elsewhere.example"}),
])
def test_a_plain_call_puts_on_the_wire_what_httpx_would(method, content, headers):
    with ServiceHttpClient(transport=ThreadConnectionTransport(), headers={"apikey": "k", "Accept": "*/*"}) as http:
        url = http._merge_url("http://127.0.0.1:1/rest/v1/rpc/summary")
        body = content.encode() if isinstance(content, str) else content or b""
        plain = http.plain_message(method, url, httpx.Headers(headers), body)
        built = ThreadConnectionTransport.message(http.build_request(method, url, content=content, headers=headers))
    assert plain == built


def test_the_service_client_sends_plain_calls_itself_and_the_rest_through_httpx():
    with ServiceHttpClient(transport=ThreadConnectionTransport(), timeout=2) as http, Upstream(Answers) as upstream:
        plain = http.post(upstream.url + "rpc/a", content=b"x", headers={"Prefer": "count=exact"})
        with_json = http.post(upstream.url + "rpc/b", json={"a": 1})
        hooked = ServiceHttpClient(transport=ThreadConnectionTransport(), event_hooks={"request": [lambda r: None]})
        with hooked:
            through_hooks = hooked.post(upstream.url + "rpc/c", content=b"y")
    assert isinstance(plain.request, SentRequest) and plain.request.headers["prefer"] == "count=exact"
    assert plain.json() == {"echo": "x", "path": "/rpc/a"}
    assert isinstance(with_json.request, httpx.Request) and with_json.json()["echo"] == '{"a":1}'
    assert isinstance(through_hooks.request, httpx.Request) and through_hooks.json()["echo"] == "y"


def test_each_thread_uses_a_connection_of_its_own(client):
    with Upstream(Answers) as upstream, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: client.post(upstream.url, content=str(n)).json()["echo"], range(200)))
    assert answers == [str(n) for n in range(200)]
    assert upstream.connections <= 8


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_request_is_sent(client):
    class ClosesSilently(Answers):
        def do_POST(self):
            super().do_POST()
            self.close_connection = True  # without a `Connection: close` the client could read

    with Upstream(ClosesSilently) as upstream:
        first = client.post(upstream.url, content="first")
        time.sleep(0.05)  # the server's FIN arrives
        second = client.post(upstream.url, content="second")
    assert (first.json()["echo"], second.json()["echo"]) == ("first", "second")
    assert upstream.connections == 2


def test_an_idle_connection_expires():
    with Upstream(Answers) as upstream, httpx.Client(transport=ThreadConnectionTransport(keepalive_expiry=0.05)) as http:
        http.post(upstream.url, content="first")
        time.sleep(0.1)
        http.post(upstream.url, content="second")
    assert upstream.connections == 2


def test_an_answer_that_does_not_come_is_httpx_s_read_timeout(client):
    class Silent(Answers):
        def do_POST(self):
            time.sleep(1)

    with Upstream(Silent) as upstream:
        with pytest.raises(httpx.ReadTimeout):
            client.post(upstream.url, content="anyone?", timeout=0.2)


def test_a_refused_connection_is_httpx_s_connect_error(client):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        client.post(f"http://127.0.0.1:{port}/", content="anyone?")


def test_a_server_that_hangs_up_without_answering_is_httpx_s_protocol_error(client):
    class HangsUp(Answers):
        def do_POST(self):
            self.close_connection = True

    with Upstream(HangsUp) as upstream:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(upstream.url, content="hello")


def test_a_compressed_answer_is_decoded(client):
    class Compresses(Answers):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.answer(gzip.compress(b'{"compressed": true}'), **{"Content-Encoding": "gzip"})

    with Upstream(Compresses) as upstream:
        assert client.post(upstream.url, content="x").json() == {"compressed": True}


def test_answers_of_every_framing_are_read_whole(client):
    class Frames(Answers):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"6\r\n{\"a\": \r\n2\r\n1}\r\n0\r\n\r\n")
            elif self.path == "/until-close":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"a\": 2}")
                self.close_connection = True
            elif self.path == "/early-hints":
                self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
                self.answer(b'{"a": 3}')
            else:
                self.send_response(204)
                self.end_headers()

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", "1000")  # what a GET would send; a HEAD's answer has no body
            self.end_headers()

    with Upstream(Frames) as upstream:
        answers = [client.post(upstream.url + path, content="x") for path in ("chunked", "until-close", "early-hints")]
        empty, head = client.post(upstream.url + "empty", content="x"), client.head(upstream.url)
        after = client.post(upstream.url + "chunked", content="x")  # the connection the HEAD used still works
    assert [answer.json() for answer in answers] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert answers[2].headers.get("Link") is None  # the interim answer's headers are not the answer's
    assert (empty.status_code, empty.content) == (204, b"")
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, "1000", b"")
    assert after.json() == {"a": 1}


def test_an_answer_cut_short_is_httpx_s_protocol_error(client):
    class CutsShort(Answers):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial")
            self.close_connection = True

    with Upstream(CutsShort) as upstream:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(upstream.url, content="x")


def test_a_header_that_would_split_the_request_is_refused(client):
    with Upstream(Answers) as upstream:
        with pytest.raises(httpx.LocalProtocolError):
            client.post(upstream.url, content="x", headers={"X-Learner-Check": "account:1\r\nX-Injected: yes"})
        assert client.post(upstream.url, content="after").json()["echo"] == "after"


def self_signed(tmp_path) -> tuple[ssl.SSLContext, str]:
    """A TLS server context for 127.0.0.1 with a certificate of its own, and that certificate's file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


def test_tls_is_verified_as_httpx_verifies_it(client, tmp_path):
    server_context, certificate = self_signed(tmp_path)
    with Upstream(Answers, tls=server_context) as upstream:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.post(upstream.url, content="unknown issuer")
        trusting = ssl.create_default_context(cafile=certificate)
        with httpx.Client(transport=ThreadConnectionTransport(verify=trusting)) as http:
            answers = [http.post(upstream.url, content=f"secret {n}").json()["echo"] for n in range(3)]
    assert answers == ["secret 0", "secret 1", "secret 2"]
    assert upstream.connections == 3  # two refused (tried twice), then one kept for three requests


def test_the_service_client_uses_it(app):
    assert isinstance(app.extensions["supabase"].postgrest.session._transport, ThreadConnectionTransport)
