"""What `ccdsim explore` answers, and to whom.

Each server is ``ccdsim explore --port 0 --no-browser`` in its own process, as
a user starts it. Requests are written with the standard library (raw sockets
where a browser's headers must be forged: a foreign ``Host``, a websocket
upgrade); a real headless Chromium then plays the DNS-rebinding attack, with a
foreign name mapped to 127.0.0.1 by its resolver rules. Traffic only ever goes
to 127.0.0.1 and ::1.
"""

import base64
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from playwright.sync_api import sync_playwright

from test_explorer_browser import CHROMIUM_ARGS, TIMEOUT_MS

EVIL = "evil.example.com"
#: Bokeh's websocket path for an app served at ``/``.
WS_PATH = "/ws"
#: A line of the Zen of Python, which ``import this`` prints.
ZEN = "Beautiful is better than ugly"
#: Open a websocket to the app from inside a page; resolves to "open" or "refused".
WS_ATTEMPT = """([url, token]) => new Promise(resolve => {
  const ws = new WebSocket(url, ["bokeh", token]);
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => resolve("refused");
  setTimeout(() => resolve("timeout"), 10000);
})"""


class _Explorer:
    """``ccdsim explore --port 0 --no-browser [--host HOST]``, started in a subprocess.

    Parameters
    ----------
    host : str or None
        ``--host`` value; None leaves the default.
    """

    def __init__(self, host=None):
        cmd = [sys.executable, "-m", "ccdsim", "explore", "--port", "0", "--no-browser"]
        if host is not None:
            cmd += ["--host", host]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.out, self.err = [], []
        # Keep reading both pipes so a full pipe never blocks the server.
        for pipe, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda p=pipe, l=lines: l.extend(p), daemon=True).start()
        self.url = self.port = None

    def ready(self):
        """Wait for the printed URL; sets and returns ``self`` with ``url`` and ``port``."""
        deadline = time.monotonic() + 60
        while not self.out and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        match = re.search(r"at (http://(\S+):(\d+)/) ", self.out[0] if self.out else "")
        if not match:
            self.stop()
            raise AssertionError(f"ccdsim explore did not start: {self.log()[-2000:]!r}")
        self.url, self.port = match.group(1), int(match.group(3))
        return self

    def log(self):
        """Everything the server has printed so far, stdout then stderr."""
        return "".join(self.out) + "".join(self.err)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def started():
    """The default, the IPv6 loopback and the every-interface server, started at once.

    Each takes seconds to import Panel, so they start together; each test
    waits only for the one it uses.
    """
    servers = {host: _Explorer(host) for host in (None, "::1", "0.0.0.0")}
    yield servers
    for s in servers.values():
        s.stop()


@pytest.fixture(scope="module")
def server(started):
    return started[None].ready()


@pytest.fixture(scope="module")
def server6(started):
    """The explorer on the IPv6 loopback, which this machine must have."""
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))  # fails loudly, by design, where there is no IPv6 loopback
    return started["::1"].ready()


def _get(port, path="/", headers=None, addr="127.0.0.1"):
    """GET ``path``; returns (status, body). A ``Host`` in ``headers`` replaces the real one."""
    conn = http.client.HTTPConnection(addr, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _token(port, addr="127.0.0.1"):
    """A fresh session token, from the app's page (each page load makes a session)."""
    status, body = _get(port, addr=addr)
    assert status == 200 and b"ccdsim explorer" in body
    return re.search(rb'"token":"([^"]+)"', body).group(1).decode()


def _websocket(port, host, origin, token, addr="127.0.0.1"):
    """Ask for a websocket upgrade of the app; returns (status, first message or b"").

    The first message of an accepted Bokeh websocket is the server's ACK.
    """
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {WS_PATH} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {origin}\r\nSec-WebSocket-Protocol: bokeh, {token}\r\n\r\n")
    with socket.create_connection((addr, port), timeout=30) as s:
        s.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            assert chunk, f"connection closed during the handshake: {data!r}"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        status = int(head.split()[1])
        if status != 101:
            return status, b""

        def need(n):
            nonlocal data
            while len(data) < n:
                chunk = s.recv(65536)
                assert chunk, "websocket closed before its first message"
                data += chunk

        # One unmasked frame from the server (RFC 6455 section 5.2).
        need(2)
        size, start = data[1] & 0x7F, 2
        if size >= 126:
            start = 4 if size == 126 else 10
            need(start)
            size = int.from_bytes(data[2:start], "big")
        need(start + size)
        return status, data[start:start + size]


# The routes that import modules named in the URL, or answer more than the page needs.
GONE = ["/components/this/X/__javascript__/y.js",
        "/components/ccdsim.__main__/X/__javascript__/y.js",
        "/autoload.js?bokeh-autoload-element=x&bokeh-absolute-url=/", "/metadata"]


def test_non_loopback_host_warns_on_stderr(started):
    """(e) ``--host 0.0.0.0`` says who can reach it (bound only: no traffic is sent to it)."""
    s = started["0.0.0.0"]
    try:
        s.ready()
        deadline = time.monotonic() + 10
        while not any("0.0.0.0" in line for line in s.err) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        s.stop()
    warnings = [line for line in s.err if "0.0.0.0" in line]
    assert len(warnings) == 1, s.err
    assert "anyone" in warnings[0] and "frames" in warnings[0]
    assert "anyone" not in started[None].log()  # the default, loopback: no warning


def test_page_is_refused_to_a_foreign_host_name(server):
    """(b) DNS rebinding: the browser sends the attacker's name as Host."""
    p = server.port
    assert _get(p, headers={"Host": f"{EVIL}:{p}"})[0] == 403
    assert _get(p, "/static/js/bokeh.min.js", headers={"Host": f"{EVIL}:{p}"})[0] == 403
    assert _get(p, headers={"Host": f"127.0.0.1:{p + 1}"})[0] == 403  # another port
    # A foreign page's request carries its Origin: refused whatever the Host.
    assert _get(p, headers={"Origin": f"http://{EVIL}:{p}"})[0] == 403
    assert _get(p, headers={"Origin": "null"})[0] == 403
    for host in (f"127.0.0.1:{p}", f"localhost:{p}"):
        assert _get(p, headers={"Host": host})[0] == 200, host
    # (The asset, not the page, where the page's rendering adds nothing.)
    js = "/static/js/bokeh.min.js"
    assert _get(p, js, headers={"Host": f"LocalHost:{p}"})[0] == 200  # names ignore case
    assert _get(p, js, headers={"Origin": f"http://localhost:{p}"})[0] == 200
    # No Host at all (HTTP/1.0) is no allowed name either.
    with socket.create_connection(("127.0.0.1", p), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert s.recv(1024).split()[1] == b"403"


def test_websocket_is_refused_to_a_foreign_host_or_origin(server):
    """(c) The websocket, with a valid session token: accepted only host to host."""
    p, good, token = server.port, f"127.0.0.1:{server.port}", _token(server.port)
    # Origin == Host passes tornado's same-origin rule: the rebinding case.
    assert _websocket(p, f"{EVIL}:{p}", f"http://{EVIL}:{p}", token) == (403, b"")
    assert _websocket(p, good, f"http://{EVIL}:{p}", token) == (403, b"")
    assert _websocket(p, good, "null", token) == (403, b"")
    status, first = _websocket(p, good, f"http://{good}", token)
    assert status == 101 and b"ACK" in first  # the control: the same request, from home


def test_ipv6_loopback_serves_page_and_websocket(server6):
    """(d) ``--host ::1``: the URL, the page and the websocket, all on [::1]."""
    p = server6.port
    assert server6.url == f"http://[::1]:{p}/"
    token = _token(p, addr="::1")  # http.client sends Host: [::1]:PORT
    host = f"[::1]:{p}"
    status, first = _websocket(p, host, f"http://{host}", token, addr="::1")
    assert status == 101 and b"ACK" in first
    assert _get(p, headers={"Host": f"{EVIL}:{p}"}, addr="::1")[0] == 403
    assert _websocket(p, f"{EVIL}:{p}", f"http://{EVIL}:{p}", token, addr="::1") == (403, b"")
    assert "anyone" not in server6.log()  # loopback: no warning


@pytest.fixture(scope="module")
def browser():
    """Chromium whose resolver sends the attacker's name to 127.0.0.1, as rebinding does."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"),
                              args=CHROMIUM_ARGS + [f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"])
        yield b
        b.close()


def test_browser_on_rebound_name_is_refused_on_real_address_works(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        response = page.goto(f"http://{EVIL}:{server.port}/")
        assert response.status == 403
        page.wait_for_timeout(1500)  # time the app would take to render
        assert page.locator("[data-q=mean-measured]").count() == 0
        assert sockets == []
        # Even a script of the attacker's page, holding a valid token, gets no websocket.
        token = _token(server.port)
        url = f"ws://{EVIL}:{server.port}{WS_PATH}"
        assert page.evaluate(WS_ATTEMPT, [url, token]) == "refused"

        sockets.clear()  # the attempt just made
        page.goto(server.url)
        page.locator("[data-q=mean-measured]").wait_for(timeout=TIMEOUT_MS)
        assert sockets == [f"ws://127.0.0.1:{server.port}{WS_PATH}"]  # the page's own
        url = f"ws://127.0.0.1:{server.port}{WS_PATH}"
        assert page.evaluate(WS_ATTEMPT, [url, token]) == "open"  # the control
    finally:
        page.close()


def test_browser_on_ipv6_loopback(server6, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    try:
        page.goto(server6.url)
        page.locator("[data-q=mean-measured]").wait_for(timeout=TIMEOUT_MS)
        assert float(page.locator("[data-q=mean-measured]").inner_text()) > 0
    finally:
        page.close()


def test_component_routes_are_gone(server):
    """(a) Run last: before the fix the second URL ran the command line inside the server."""
    for path in GONE:
        status, _ = _get(server.port, path)
        assert status in (403, 404), path
    assert _get(server.port)[0] == 200  # still serving
    time.sleep(0.5)  # let the log readers catch up
    assert ZEN not in server.log()
