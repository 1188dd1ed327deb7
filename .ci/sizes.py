"""The size gate of `make lint`: no module over MAX_MODULE_LINES and no function over
MAX_FUNCTION_LINES in the product and the bench (tests and migrations aside).

Big modules and long functions are where a reader gets lost and where unrelated changes
collide; ruff's complexity rules (C901, PLR0912, PLR0915) gate branching, this gates length.
Prints each offender as path:line and exits 1 if there is any.
"""

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
PACKAGES = (
    "core",
    "manufacturers",
    "following",
    "workstreams",
    "casestudies",
    "pages",
    "mmip_portal",
    "bench",
)
ROOT = Path(__file__).resolve().parent.parent


def offences(path: Path) -> list[str]:
    text = path.read_text()
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{path.relative_to(ROOT)}:1: module of {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}() of {length} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )
    return found


def main() -> int:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found.extend(offences(path))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
