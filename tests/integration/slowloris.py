#!/usr/bin/python3
"""Slowloris against memsight's HTTP server on 127.0.0.1 (test_slowloris.sh).

slowloris.py PORT CONNECTIONS SECONDS

Keeps CONNECTIONS connections open to 127.0.0.1:PORT for SECONDS: each sends a
request line, then one header every 2-5 s and never the blank line that ends the
request. A connection the server closes is opened again, as an attacker would.
Prints "holding N" once all are open, then at the end one line of figures:
opened, closed_by_server, longest_s (the longest a connection lasted before the
server closed it). Bounded: at most 20 openings per connection, traffic only to
loopback.
"""
import random
import select
import socket
import sys
import time


class Loris:
    def __init__(self, port, serial):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened = time.monotonic()
        self.next_send = self.opened + random.uniform(2, 5)
        self.serial = serial

    def trickle(self, now):
        """Sends the next header when due; False when the server has closed."""
        if now < self.next_send:
            return True
        self.serial += 1
        self.next_send = now + random.uniform(2, 5)
        try:
            self.sock.sendall(b"X-Slow-%d: %d\r\n" % (self.serial, self.serial))
        except OSError:
            return False
        return True

    def closed_by_server(self):
        """True when the server closed (end of stream, reset, or an answer)."""
        try:
            return self.sock.recv(4096) is not None
        except OSError:
            return True


def main():
    port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    random.seed(port)
    start = time.monotonic()
    conns = [Loris(port, i * 1000) for i in range(count)]
    print("holding %d" % len(conns), flush=True)
    opened, closed, longest = count, 0, 0.0
    while time.monotonic() - start < seconds:
        readable, _, _ = select.select([c.sock for c in conns], [], [], 0.1)
        now = time.monotonic()
        for i, c in enumerate(conns):
            if c.sock in readable and c.closed_by_server() or not c.trickle(now):
                closed += 1
                longest = max(longest, now - c.opened)
                c.sock.close()
                if opened >= 20 * count:
                    sys.exit("slowloris: too many openings, stopping")
                conns[i] = Loris(port, c.serial + 1)
                opened += 1
    for c in conns:
        c.sock.close()
    print("opened=%d closed_by_server=%d longest_s=%.1f" % (opened, closed, longest),
          flush=True)


if __name__ == "__main__":
    main()
