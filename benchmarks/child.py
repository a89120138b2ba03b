"""Each bench pass in its own child process, so that its peak RSS (ru_maxrss) is its own.

The child runs `python -m <module> PASS ARG` and prints the pass's result as its last line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(passes: dict[str, Callable[[Path], dict]], name: str, arg: str) -> None:
    """In the child: run one pass and print its result with the process's peak RSS."""
    out = passes[name](Path(arg))
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def measure(module: str, name: str, arg: Path) -> dict:
    """In the parent: the result of pass `name` of `module`, run in a child."""
    proc = subprocess.run([sys.executable, "-m", module, name, str(arg)],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} pass failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
