#!/usr/bin/env python3
"""Writes the dashboards (../*.json) from the Python definitions next to this file.

    python3 Dashboards/generator/build.py          # rewrite the JSON files
    python3 Dashboards/generator/build.py --check  # exit 1 if a JSON file differs from what would be written

The JSON files are what users import or provision; this generator is how they are edited, so that the ~60 panels
share one style (units, legends, selectors) and the test can tell when someone edited one but not the other.
Standard library only.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import node_detail  # noqa: E402
import overview  # noqa: E402
import slots  # noqa: E402

OUT = Path(__file__).resolve().parents[1]
DASHBOARDS = {"valkey-cluster-overview.json": overview, "valkey-node-detail.json": node_detail,
              "valkey-slots.json": slots}


def render(module):
    return json.dumps(module.build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, module in DASHBOARDS.items():
        path, text = OUT / name, render(module)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("out of date (run python3 Dashboards/generator/build.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
