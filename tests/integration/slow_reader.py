#!/usr/bin/python3
"""A slow reader whose pipe is non-blocking (test_cli.sh).

slow_reader.py OUT COMMAND...

Runs COMMAND with stdout the write end of a 4 KiB pipe set O_NONBLOCK. O_NONBLOCK
belongs to the open file description, which COMMAND's fd 1 shares (dup2), as when a
log shipper sets it on a pipe it handed over. Reads nothing for a second, so the
pipe fills and writes fail with EAGAIN, then reads 512 bytes every 20 ms into OUT.
Exits with COMMAND's status.
"""
import fcntl
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    os.set_blocking(w, False)
    proc = subprocess.Popen(cmd, stdout=w)
    os.close(w)
    time.sleep(1)
    with open(out, "wb") as f:
        while True:
            data = os.read(r, 512)
            if not data:
                break
            f.write(data)
            time.sleep(0.02)
    sys.exit(proc.wait())


if __name__ == "__main__":
    main()
