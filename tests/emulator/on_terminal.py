"""Runs a command with its stderr on a pseudo-terminal (stdout a pipe) and
prints one JSON object: its exit status, its stdout, and everything it drew
on the terminal. The tests use it to see the progress `scan` and `sweep`
draw for a person, which they draw only on a terminal."""

import json
import os
import pty
import subprocess
import sys


def main() -> None:
    controller, terminal = pty.openpty()
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    stdout = child.stdout.read()
    status = child.wait()
    print(json.dumps({"status": status,
                      "stdout": stdout.decode("utf-8", "replace"),
                      "terminal": drawn.decode("utf-8", "replace")}))


if __name__ == "__main__":
    main()
