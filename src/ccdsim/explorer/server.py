"""Serve a Panel app to this machine's browser, and to nothing else.

`ccdsim explore` uses it (through `ccdsim.explorer.serve`). ``pn.serve`` alone
answers any ``Host``, so a web page on a name its owner resolves to 127.0.0.1
(DNS rebinding) reads the page and drives the app as its own origin; and it
serves routes the page never uses, one of which (``/components/<module>/...``)
imports any module named in the URL. Here the server:

- keeps only the routes the page needs: the app's page, its websocket, the
  Bokeh and Panel JavaScript/CSS files and the icon (`KEPT_HANDLERS`); any
  other path is a 404;
- answers only requests whose ``Host`` is one of the names it is served as
  (`allowed_hosts`) and whose ``Origin``, when sent, is ``http://`` and such a
  name. Every other request, HTTP or websocket, gets a 403 before any of the
  app's handlers is made.
"""

import ipaddress
import socket
import sys
import webbrowser

import panel as pn
from bokeh.server.views.doc_handler import DocHandler
from bokeh.server.views.ico_handler import IcoHandler
from bokeh.server.views.multi_root_static_handler import MultiRootStaticHandler
from bokeh.server.views.static_handler import StaticHandler
from bokeh.server.views.ws import WSHandler
from tornado.netutil import bind_sockets
from tornado.routing import Matcher, Rule
from tornado.web import HTTPError, RequestHandler

from ..core.params import DEFAULTS as D
from ..core.params import EXPLORER_HOST

__all__ = ["serve", "allowed_hosts", "is_loopback", "url_host", "KEPT_HANDLERS"]

#: The routes kept, by handler (Panel's own handlers subclass these): the page,
#: its websocket, files from Bokeh's and Panel's static folders (tornado keeps
#: them inside those folders) and the icon.
KEPT_HANDLERS = (DocHandler, WSHandler, StaticHandler, MultiRootStaticHandler, IcoHandler)
#: Names a browser on this machine may use for a server on a loopback address.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def url_host(host):
    """``host`` as a URL or a ``Host`` header writes it.

    Parameters
    ----------
    host : str
        Address or name, an IPv6 address without brackets.

    Returns
    -------
    str
        ``host``, an IPv6 address in brackets.
    """
    return f"[{host}]" if ":" in host else host


def _addresses(host):
    """The IP addresses ``host`` stands for; empty when it resolves to none."""
    try:
        return {ipaddress.ip_address(info[4][0].split("%")[0])
                for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, ValueError):
        return set()


def is_loopback(host):
    """Whether ``host`` reaches only this machine.

    Parameters
    ----------
    host : str
        Address or name.

    Returns
    -------
    bool
        True when ``host`` resolves, and only to loopback addresses.
    """
    addresses = _addresses(host)
    return bool(addresses) and all(a.is_loopback for a in addresses)


def allowed_hosts(host, port):
    """The ``Host`` values (``name:port``) the server answers to.

    Parameters
    ----------
    host : str
        Address or name being served.
    port : int
        Port being served.

    Returns
    -------
    frozenset of str
        Lower case. The served address itself; for a loopback address also
        127.0.0.1, localhost and [::1]; for every interface (0.0.0.0, ::) those
        and the machine's own names. On port 80 also the names without port,
        as browsers write them.
    """
    names = {url_host(host).lower()}
    everywhere = any(a.is_unspecified for a in _addresses(host))
    if everywhere or is_loopback(host):
        names.update(LOOPBACK_NAMES)
    if everywhere:
        names.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return frozenset(hosts)


class _ForeignRequest(Matcher):
    """Matches requests whose ``Host``, or ``Origin`` when sent, is not allowed.

    The raw headers are read: tornado reads a missing ``Host`` as 127.0.0.1.
    """

    def __init__(self, hosts):
        self.hosts = frozenset(hosts)
        self.origins = frozenset(f"http://{h}" for h in hosts)

    def match(self, request):
        host = request.headers.get("Host", "").lower()
        origin = request.headers.get("Origin")
        if host in self.hosts and (origin is None or origin.lower() in self.origins):
            return None
        return {}


class _Refused(RequestHandler):
    """Answers 403 to every request routed to it."""

    def prepare(self):
        raise HTTPError(403, "Host %r or Origin %r is not a name of this server",
                        self.request.headers.get("Host"), self.request.headers.get("Origin"))


def _restrict(app, hosts):
    """Keep only `KEPT_HANDLERS` in tornado application ``app``; refuse foreign requests first."""
    router = app.wildcard_router
    router.rules = [rule for rule in router.rules
                    if isinstance(rule.target, type) and issubclass(rule.target, KEPT_HANDLERS)]
    # The default router is consulted for every request, before any route.
    app.default_router.rules.insert(0, Rule(_ForeignRequest(hosts), _Refused))


def _free_port(host):
    """A port free on every address of ``host`` (IPv4 and IPv6 alike)."""
    sockets = bind_sockets(0, host)
    try:
        return sockets[0].getsockname()[1]
    finally:
        for s in sockets:
            s.close()


def serve(apps, *, port=D.port, host=EXPLORER_HOST, show=True, title=None):
    """Serve Panel ``apps`` until interrupted, with only the routes and names above.

    Prints the URL (and, for a ``host`` that is not loopback, a one-line
    warning on stderr) once the socket is bound.

    Parameters
    ----------
    apps : dict
        URL path -> function returning a Panel object, as for ``pn.serve``.
    port : int
        TCP port; 0 picks a free one.
    host : str
        Address to listen on, which browsers use too: 127.0.0.1 (IPv4
        loopback), ``::1`` (IPv6 loopback, also accepted as ``[::1]``), a name,
        or 0.0.0.0 / ``::`` for every interface.
    show : bool
        Open the default web browser on the app.
    title : str, optional
        The page's title.

    Raises
    ------
    OSError
        When the address cannot be listened on.
    """
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = port or _free_port(host)
    hosts = allowed_hosts(host, port)
    # Bokeh's own websocket check, kept as a second line; it cannot parse
    # bracketed IPv6 names, which the check of `_restrict` covers alone.
    origins = sorted(h for h in hosts if not h.startswith("["))
    # location=False: no model mirroring the page's URL (nothing uses it, and
    # Panel's cannot parse a bracketed IPv6 Host: the page would be a 500).
    server = pn.serve(apps, port=port, address=host, show=False, start=False,
                      websocket_origin=origins or None, title=title, verbose=False,
                      location=False)
    # Bokeh's Server keeps its tornado Application here and has no public
    # accessor; its routes and routers are tornado's public API.
    _restrict(server._tornado, hosts)
    # The socket is bound now, so the address printed is one that answers.
    url = f"http://{url_host(host)}:{server.port}/"
    if not is_loopback(host):
        where = url_host(host)
        if any(a.is_unspecified for a in _addresses(host)):
            where += " (every network interface)"
        print(f"ccdsim: warning: listening on {where}, port {server.port}, not only on this "
              f"machine: anyone who can reach that address can drive the explorer and read "
              f"its frames", file=sys.stderr, flush=True)
    print(f"ccdsim explorer at {url} (Ctrl+C to stop)", flush=True)
    server.start()
    if show:
        server.io_loop.add_callback(webbrowser.open, url)
    server.io_loop.start()
