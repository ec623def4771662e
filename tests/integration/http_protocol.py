#!/usr/bin/python3
"""How `memsight run`'s HTTP server answers, read by Python's own HTTP client.

Usage: http_protocol.py HOST:PORT. Prints one line per case, "name: what was seen";
test_metrics.sh compares each with what RFC 9112 asks for.
"""
import http.client
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
port = int(port)


def raw(request):
    """Sends bytes on a new connection; the parsed response and whether the server closed."""
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(request)
    resp = http.client.HTTPResponse(sock, method="GET")
    resp.begin()
    body = resp.read()
    try:
        closed = sock.recv(1) == b""
    except socket.timeout:
        closed = False
    sock.close()
    return resp, body, closed


def case(name, fn):
    try:
        print(f"{name}: {fn()}")
    except Exception as e:  # a reset, a short body, a malformed response
        print(f"{name}: {type(e).__name__}: {e}")


def keep_alive():
    conn = http.client.HTTPConnection(host, port, timeout=5)
    seen = []
    for path in ("/healthz", "/metrics", "/readyz"):
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if path == "/metrics" and len(body) != int(resp.getheader("Content-Length")):
            return "short body"
        seen.append((resp.status, conn.sock.getsockname()))
    conn.close()
    sockets = {s for _, s in seen}
    return " ".join(str(s) for s, _ in seen) + f" on {len(sockets)} connection(s)"


def pipelined():
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                 b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
                 b"GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    # read by hand: http.client's response closes the socket's reader when done
    reader = sock.makefile("rb")
    out = []
    for head_only in (False, True, False):
        code = int(reader.readline().split()[1])
        fields = {}
        for line in iter(reader.readline, b"\r\n"):
            name, value = line.decode().split(":", 1)
            fields[name.lower()] = value.strip()
        body = b"" if head_only else reader.read(int(fields["content-length"]))
        out.append(f"{code} {body.decode().strip() or '-'}")
    sock.close()
    return ", ".join(out)


def status(request):
    def run():
        resp, _, closed = raw(request)
        return f"{resp.status} {'closed' if closed else 'open'}"
    return run


case("keep-alive", keep_alive)
case("pipelined", pipelined)
case("http/1.0", status(b"GET /healthz HTTP/1.0\r\n\r\n"))
case("head over 8 KiB", status(b"GET /metrics HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000 + b"\r\n\r\n"))
case("path of 300 bytes", status(b"GET /" + b"m" * 299 + b" HTTP/1.1\r\nHost: a\r\n\r\n"))
case("HTTP/2.0", status(b"GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n"))
case("no Host", status(b"GET /metrics HTTP/1.1\r\n\r\n"))
case("POST with 100 KB", status(b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 102400\r\n\r\n" + b"x" * 102400))
