#!/usr/bin/python3
"""Writes the hostile .h5 inputs of the issues on `aimarket compare` (arrays as root
attributes, attributes that contradict the data, damaged headers and global heap) to
tests/fuzz/regressions/trajectory/, each a changed copy of one small real output.

    tools/fuzz/make_regressions.py AIMARKET

AIMARKET is the program, used to make the output (the logit textbook config, 1 step, 1
replicate, repacked by h5repack in HDF5's latest format to keep each file under 50 KB).
Inputs the fuzzers find are kept next to these as they are; this script only remakes its own.
"""
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "fuzz" / "regressions" / "trajectory"
SIGNATURE = b"GCOL\x01\x00\x00\x00"


def heap_objects(data):
    """(offset of the header, index) of every object of every global heap collection."""
    objects, at = [], data.find(SIGNATURE)
    while at >= 0:
        (size,) = struct.unpack_from("<Q", data, at + 8)
        p = at + 16
        while p + 16 <= at + size:
            index, _, _, object_size = struct.unpack_from("<HHIQ", data, p)
            objects.append((p, index))
            p += object_size if index == 0 else 16 + (object_size + 7) // 8 * 8
        at = data.find(SIGNATURE, at + size)
    return objects


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    aimarket = sys.argv[1]
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "raw.h5"
        base = pathlib.Path(tmp) / "base.h5"
        subprocess.run([aimarket, "run", str(REPO / "configs/textbook/logit.toml"), "--out",
                        str(raw), "--steps", "1", "--replicates", "1", "--set",
                        "population.customers=50", "--backend", "cpu", "--threads", "1",
                        "--progress", "none"], check=True, capture_output=True)
        subprocess.run(["h5repack", "-L", "-f", "SHUF", "-f", "GZIP=9", str(raw), str(base)],
                       check=True)

        def attribute(name, key, value):
            path = TARGET / f"{name}.h5"
            shutil.copy(base, path)
            with h5py.File(path, "r+") as f:
                del f.attrs[key]
                f.attrs[key] = value

        attribute("seed_array", "seed", np.arange(4000, dtype=np.uint64))
        attribute("status_array", "status", np.array([b"complete", b"x"], dtype="S7"))
        attribute("replicates_1000", "replicates", np.int64(1000))
        attribute("replicates_negative", "replicates", np.int64(-5))
        attribute("replicates_huge", "replicates", np.int64(2**62))

        data = base.read_bytes()
        with h5py.File(base, "r") as f:
            header = h5py.h5o.get_info(f["layer"].id).addr
        flipped = bytearray(data)
        flipped[header + 8] ^= 0xFF
        (TARGET / "flipped_header.h5").write_bytes(flipped)
        objects = heap_objects(data)
        long_string = bytearray(data)
        struct.pack_into("<Q", long_string, next(p for p, i in objects if i > 0) + 8, 1 << 40)
        (TARGET / "heap_object_too_long.h5").write_bytes(long_string)
        empty = bytearray(data)
        struct.pack_into("<Q", empty, next(p for p, i in objects if i == 0) + 8, 0)
        (TARGET / "heap_free_space_empty.h5").write_bytes(empty)


if __name__ == "__main__":
    main()
