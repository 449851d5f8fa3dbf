#!/usr/bin/env python3
"""Rewrites the generated key reference in docs/CONFIG.md from `aimarket keys`.

Usage: tools/update_config_reference.py [PATH_TO_AIMARKET]   (default: build/aimarket)
The test ConfigReference.DocsCarryTheGeneratedReference fails until the docs match.
"""
import pathlib
import subprocess
import sys

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    program = sys.argv[1] if len(sys.argv) > 1 else "build/aimarket"
    docs = pathlib.Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md"
    try:
        reference = subprocess.run([program, "keys"], capture_output=True, text=True,
                                   check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"update_config_reference: cannot run '{program} keys': {error}", file=sys.stderr)
        return 1
    text = docs.read_text()
    if BEGIN not in text or END not in text:
        print(f"update_config_reference: {docs} lacks the reference markers", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    docs.write_text(head + BEGIN + "\n" + reference + END + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
