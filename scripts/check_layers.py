#!/usr/bin/env python3
"""check_layers.py [ROOT] | --self-test: the build's check that no #include crosses the
architecture (../shared/DESIGN.md, section 2).

Reads every `#include "..."` in ROOT/src/**/*.{h,cc} and ROOT/tools/*.{h,cc} (ROOT defaults to
the repository this script is in), maps the included path to its layer by its first path
component (or, for a path relative to the including file that exists, by where it lies) and
checks it against the layers:

    common <- keys <- store <- {dht, fs} <- host <- tools
                                    fs <- client <- host

A layer may include itself and the layers below it; dht and fs never include each other,
nor client and dht; host (which may not exist yet) may include all six; tools/ may include
everything in src/ and tools/. Nothing under src/ may include a test-only path (support/, sim/, tests/) or a tools/
header, and every file under src/ must lie in a known layer.

Prints one line per violation, `FILE:LINE: src/fs may not include dht/x.h (...)`, and exits 1
if there was any; exits 0 silently otherwise. `--self-test` runs the check over fixture trees it
writes to a temporary directory and exits 0 if it accepts the allowed includes and reports
exactly the forbidden ones. Standard library only; the meson unit suite runs both modes.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

# Each layer and the layers it may include (itself included).
SRC_LAYERS = ("common", "keys", "store", "dht", "fs", "client", "host")
ALLOWED = {
    "common": {"common"},
    "keys": {"common", "keys"},
    "store": {"common", "keys", "store"},
    "dht": {"common", "keys", "store", "dht"},
    "fs": {"common", "keys", "store", "fs"},
    "client": {"common", "keys", "store", "fs", "client"},
    "host": {"common", "keys", "store", "dht", "fs", "client", "host"},
    "tools": {*SRC_LAYERS, "tools"},
}
# First path components that name test-only code.
TEST_ONLY = {"support", "sim", "tests"}
CHAIN = "common <- keys <- store <- {dht, fs} <- host <- tools; fs <- client <- host"

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)


def strip_block_comments(text: str) -> str:
    """Blanks /* ... */ comments, keeping the line count."""
    return BLOCK_COMMENT_RE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def layer_of_file(rel: Path) -> str | None:
    """The layer a file of the tree belongs to: src/<layer>/..., or tools/."""
    parts = rel.parts
    if parts[0] == "tools":
        return "tools"
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def target_of(root: Path, src_file: Path, included: str) -> tuple[str, str]:
    """(layer, path as shown) of an include. A path found relative to the including file wins,
    as it does for the compiler; otherwise the path is one under src/ (the include directory)."""
    local = (src_file.parent / included).resolve()
    if local.is_file():
        try:
            rel = local.relative_to(root.resolve())
        except ValueError:
            return "outside", included
        if rel.parts[0] == "tests":
            return "tests", str(rel)
        layer = layer_of_file(rel)
        if layer is not None:
            shown = str(rel.relative_to("src")) if rel.parts[0] == "src" else str(rel)
            return layer, shown
        return "outside", str(rel)
    first = included.split("/", 1)[0]
    return first, included


def reason(layer: str, target: str) -> str:
    if target in TEST_ONLY:
        return "test-only code stays out of the product"
    if target == "tools":
        return "src/ never includes tools/"
    if {layer, target} == {"dht", "fs"}:
        if layer == "fs":
            return "fs sees the network only through store/"
        return "dht and fs never include each other"
    if layer == "client" and target == "dht":
        return "client sees the network only through store/"
    if target in ALLOWED:
        return f"{target} is above {layer}: {CHAIN}"
    return f"in no layer of src/: {', '.join(SRC_LAYERS)}"


def check(root: Path) -> list[str]:
    """Every violation under root, one message each, in file order."""
    root = root.resolve()
    files = sorted(
        [p for p in (root / "src").rglob("*") if p.suffix in (".h", ".cc") and p.is_file()]
        + [p for p in (root / "tools").glob("*") if p.suffix in (".h", ".cc") and p.is_file()]
    )
    out = []
    for path in files:
        rel = path.relative_to(root)
        layer = layer_of_file(rel)
        shown_layer = "tools" if layer == "tools" else f"src/{layer}"
        if layer not in ALLOWED:
            out.append(f"{rel}:1: {rel.parent} is not a layer ({CHAIN}); "
                       "add it to scripts/check_layers.py or move the file")
            continue
        text = strip_block_comments(path.read_text(encoding="utf-8", errors="replace"))
        for lineno, line in enumerate(text.splitlines(), start=1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target, shown = target_of(root, path, m.group(1))
            if target in ALLOWED[layer]:
                continue
            out.append(f"{rel}:{lineno}: {shown_layer} may not include {shown} "
                       f"({reason(layer, target)})")
    return out


# --- self-test -----------------------------------------------------------------------------

def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


# Allowed includes only (src/host absent, as before it lands).
CLEAN_TREE = {
    "src/common/bytes.h": "#pragma once\n#include <vector>\n",
    "src/keys/identity.h": '#include "common/bytes.h"\n',
    "src/store/block_store.h": '#include "keys/identity.h"\n#include "common/bytes.h"\n',
    "src/dht/chord_node.h": '#include "store/block_store.h"\n#include "dht/ring.h"\n',
    "src/dht/ring.h": '#include "chord_node.h"\n',
    "src/fs/volume.cc": '#include "fs/volume.h"\n#  include "store/block_store.h"\n'
                        '// #include "dht/chord_node.h"\n/* #include "dht/ring.h"\n */\n',
    "src/fs/volume.h": "#pragma once\n",
    "tools/tool_support.h": '#include "dht/chord_node.h"\n',
    "tools/main.cc": '#include "tool_support.h"\n#include "fs/volume.h"\n',
}
# One forbidden include of each kind, and where it is reported.
BAD_TREE = {
    **CLEAN_TREE,
    "src/host/node_host.h": '#include "dht/ring.h"\n#include "fs/volume.h"\n',
    "src/fs/bad.cc": '#include "fs/volume.h"\n#include "dht/ring.h"\n#include "../dht/ring.h"\n',
    "src/dht/bad.cc": '#include "common/bytes.h"\n\n#include "fs/volume.h"\n',
    "src/store/bad.h": '#include "host/node_host.h"\n',
    "src/keys/bad.h": '#include "support/free_port.h"\n#include "sim/sim_cluster.h"\n',
    "src/common/bad.h": '#include "tools/tool_support.h"\n#include "nowhere/x.h"\n',
    "src/node/misplaced.h": '#include "common/bytes.h"\n',
    "src/client/bad.cc": '#include "fs/volume.h"\n#include "dht/ring.h"\n',
}
BAD_EXPECTED = [
    "src/client/bad.cc:2: src/client may not include dht/ring.h "
    "(client sees the network only through store/)",
    "src/common/bad.h:1: src/common may not include tools/tool_support.h "
    "(src/ never includes tools/)",
    "src/common/bad.h:2: src/common may not include nowhere/x.h "
    "(in no layer of src/: common, keys, store, dht, fs, client, host)",
    "src/dht/bad.cc:3: src/dht may not include fs/volume.h "
    "(dht and fs never include each other)",
    "src/fs/bad.cc:2: src/fs may not include dht/ring.h "
    "(fs sees the network only through store/)",
    "src/fs/bad.cc:3: src/fs may not include dht/ring.h "
    "(fs sees the network only through store/)",
    "src/keys/bad.h:1: src/keys may not include support/free_port.h "
    "(test-only code stays out of the product)",
    "src/keys/bad.h:2: src/keys may not include sim/sim_cluster.h "
    "(test-only code stays out of the product)",
    f"src/node/misplaced.h:1: src/node is not a layer ({CHAIN}); "
    "add it to scripts/check_layers.py or move the file",
    f"src/store/bad.h:1: src/store may not include host/node_host.h (host is above store: {CHAIN})",
]


def self_test() -> int:
    failures = []
    with tempfile.TemporaryDirectory(prefix="check_layers.") as tmp:
        clean, bad = Path(tmp, "clean"), Path(tmp, "bad")
        write_tree(clean, CLEAN_TREE)
        write_tree(bad, BAD_TREE)
        got = check(clean)
        if got:
            failures.append("the clean tree was refused:\n  " + "\n  ".join(got))
        got = check(bad)
        if got != BAD_EXPECTED:
            failures.append("the bad tree gave:\n  " + "\n  ".join(got)
                            + "\nexpected:\n  " + "\n  ".join(BAD_EXPECTED))
        with contextlib.redirect_stdout(io.StringIO()):
            statuses = (main([str(bad)]), main([str(clean)]))
        if statuses != (1, 0):
            failures.append("exit status: want 1 for the bad tree, 0 for the clean one")
    for f in failures:
        print(f"check_layers --self-test: {f}", file=sys.stderr)
    if not failures:
        print(f"check_layers --self-test: ok ({len(BAD_EXPECTED)} violations found as expected)")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__.split("\n\n", 1)[0], file=sys.stderr)
        return 2
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    if not (root / "src").is_dir():
        print(f"check_layers: {root}/src is not a directory", file=sys.stderr)
        return 2
    violations = check(root)
    for v in violations:
        print(v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
