"""Mutation sweep: configs made by damaging the repository's configs at random (seeded), each
run through `aimarket validate` and, when valid, a tiny `aimarket run`, alone in a temporary
folder. Whatever the config, the program must end by itself within a timeout, by exit status
(no signal): validate 0 or 2 (2 with a message), run 0, 1 or 2; and it must leave nothing
behind but its --out file (none when it refused the input).

AIMARKET_SWEEP_N sets how many configs (default 150, about half a minute on 2 cores);
AIMARKET_SWEEP_SEED the seed of the mutations (default 2024). A failure names the seed, the
mutant's number and what was done to which config, and keeps the mutant in the test's
temporary folder."""
import os
import random
import re
import shutil

import pytest

from conftest import REPO

N = int(os.environ.get("AIMARKET_SWEEP_N", "150"))
SEED = int(os.environ.get("AIMARKET_SWEEP_SEED", "2024"))
VALIDATE_TIMEOUT = 60
RUN_TIMEOUT = 120
# A run small enough for a sweep: these keys shrink every config (set after the mutant's own,
# so the mutant's values of them are validated but not run).
SHRINK = ["--steps", "2", "--replicates", "1", "--set", "population.customers=200",
          "--set", "population.synthetic_firms=5", "--set", "entry.free_slots=5",
          "--backend", "cpu", "--threads", "1", "--progress", "none"]

SOURCES = sorted(REPO.glob("configs/**/*.toml"))
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d_]*(\.\d+)?([eE][-+]?\d+)?(?![\w.])")
EXTREMES = ["0", "-1", "-0.0", "1e308", "-1e308", "1e-320", "nan", "inf", "-inf",
            "9223372036854775807", "-9223372036854775808", "18446744073709551616",
            "123456789012345678901234567890", "0.5", "2", "1000000000", "-1000000000"]
OTHER_TYPES = ['"text"', "true", "[1, 2]", "{ a = 1 }", "1979-05-27", '""', "[]", "{}",
               '"\\u0000"', '"' + "x" * 300 + '"', "[[1], [2.0]]", "'''\nmulti\n'''"]


def mutate(text, rnd):
    """One random change to the config text; returns (text, description)."""
    lines = text.split("\n")
    kind = rnd.choice(["delete_line", "duplicate_line", "swap_lines", "extreme_number",
                       "other_type", "truncate", "random_bytes", "deep_key", "deep_value",
                       "long_value", "odd_name", "shuffle_section"])
    if kind == "delete_line" and lines:
        i = rnd.randrange(len(lines))
        return "\n".join(lines[:i] + lines[i + 1:]), f"deleted line {i + 1}"
    if kind == "duplicate_line" and lines:
        i = rnd.randrange(len(lines))
        j = rnd.randrange(len(lines) + 1)
        return "\n".join(lines[:j] + [lines[i]] + lines[j:]), f"line {i + 1} again at {j + 1}"
    if kind == "swap_lines" and len(lines) > 1:
        i, j = rnd.sample(range(len(lines)), 2)
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines), f"swapped lines {i + 1} and {j + 1}"
    if kind in ("extreme_number", "other_type"):
        numbers = list(NUMBER.finditer(text))
        if numbers:
            m = rnd.choice(numbers)
            new = rnd.choice(EXTREMES if kind == "extreme_number" else OTHER_TYPES)
            return (text[:m.start()] + new + text[m.end():],
                    f"{m.group(0)!r} at offset {m.start()} -> {new!r}")
    if kind == "truncate":
        cut = rnd.randrange(len(text) + 1)
        return text[:cut], f"truncated at {cut}"
    if kind == "random_bytes":
        data = bytearray(text.encode("utf-8", "surrogateescape"))
        spots = []
        for _ in range(rnd.randint(1, 8)):
            at = rnd.randrange(len(data) + 1)
            data[at:at + rnd.randint(0, 1)] = bytes([rnd.randrange(256)])
            spots.append(at)
        return data.decode("utf-8", "surrogateescape"), f"random bytes at {spots}"
    if kind == "deep_key":
        depth = rnd.choice([8, 64, 1000, 20000, 50000])
        return text + "\n" + ".".join(["k"] * depth) + " = 1\n", f"a key {depth} levels deep"
    if kind == "deep_value":
        depth = rnd.choice([8, 64, 1000, 20000, 50000])
        if rnd.random() < 0.5:
            value = "[" * depth + "1" + "]" * depth
        else:
            value = "{ a = " * depth + "1" + " }" * depth
        return text + f"\ndeep = {value}\n", f"a value nested {depth} deep"
    if kind == "long_value":
        size = rnd.choice([1000, 100000, 2000000])
        if rnd.random() < 0.5:
            value = '"' + "y" * size + '"'
        else:
            value = "[" + ", ".join(["1.5"] * (size // 5)) + "]"
        return text + f"\nlong_value = {value}\n", f"a value of about {size} characters"
    if kind == "odd_name":
        names = list(re.finditer(r'name = "([^"]*)"', text))
        if names:
            m = rnd.choice(names)
            new = rnd.choice(["", " ", "a" * 5000, "Naver", "\\u0000", "\\n", "é" * 40,
                              "firm.with.dots", "=", "\\\"quoted\\\""])
            return (text[:m.start(1)] + new + text[m.end(1):],
                    f"firm name {m.group(1)!r} -> {new[:20]!r}")
    if kind == "shuffle_section":
        headers = [i for i, line in enumerate(lines) if line.startswith("[")]
        if headers:
            i = rnd.choice(headers)
            lines[i] = rnd.choice(["[run]", "[population]", "[[firm]]", "[firm]", "[[run]]",
                                   "[demand.extra]", "[]", "[[event]]"])
            return "\n".join(lines), f"section header at line {i + 1} -> {lines[i]}"
    return text + "\n", "nothing (the chosen change did not apply)"


def mutants():
    rnd = random.Random(SEED)
    for number in range(N):
        source = rnd.choice(SOURCES)
        text = source.read_text()
        # The scenarios name their base relative to their own folder; the mutant lives in a
        # temporary folder, so it names the repository's file.
        text = text.replace('base = "../baseline.toml"',
                            f'base = "{REPO / "configs" / "baseline.toml"}"')
        done = []
        for _ in range(rnd.choice([1, 1, 1, 2, 3])):
            text, what = mutate(text, rnd)
            done.append(what)
        sets = []
        if rnd.random() < 0.2:
            key = rnd.choice(["run.steps", "run.seed", "demand.bass_p", "population.customers",
                              "firms.synthetic_price_median", "nosuch.key", "run",
                              "firm.Naver.quality", "firm.Nobody.quality", "a.b.c.d.e.f"])
            value = rnd.choice(EXTREMES + OTHER_TYPES)
            sets = ["--set", f"{key}={value}"]
            done.append(f"--set {key}={value}")
        yield number, source.relative_to(REPO), text, sets, "; ".join(done)


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def test_mutated_configs_end_cleanly(run_aimarket, tmp_path):
    problems = []
    counts = {"valid": 0, "refused": 0, "ran": 0, "run_failed": 0, "run_refused": 0}
    for number, source, text, sets, what in mutants():
        work = tmp_path / f"m{number:05d}"
        work.mkdir()
        config = work / "mutant.toml"
        config.write_bytes(text.encode("utf-8", "surrogateescape"))
        label = f"seed {SEED} mutant {number} ({source}: {what})"

        def problem(message, result=None):
            detail = f" rc={result.returncode} stderr={result.stderr[-400:]!r}" if result else ""
            problems.append(f"{label}: {message}{detail}")

        try:
            result = run_aimarket("validate", config, *sets, timeout=VALIDATE_TIMEOUT)
        except Exception as error:  # subprocess.TimeoutExpired, among others
            problem(f"validate did not finish: {type(error).__name__}")
            continue
        if result.returncode not in (0, 2):
            problem("validate ended other than 0 or 2", result)
            continue
        if result.returncode == 2 and not result.stderr.strip():
            problem("validate refused without a message", result)
        if files_in(work) != ["mutant.toml"]:
            problem(f"validate left {files_in(work)}")
        if result.returncode == 2:
            counts["refused"] += 1
            shutil.rmtree(work)
            continue
        counts["valid"] += 1

        out = work / "out.h5"
        try:
            result = run_aimarket("run", config, *sets, *SHRINK, "--out", out,
                                  timeout=RUN_TIMEOUT)
        except Exception as error:
            problem(f"run did not finish: {type(error).__name__}")
            continue
        allowed = {0: [["mutant.toml", "out.h5"]],
                   1: [["mutant.toml"], ["mutant.toml", "out.h5"]],
                   2: [["mutant.toml"]]}
        if result.returncode not in allowed:
            problem("run ended other than 0, 1 or 2", result)
            continue
        counts[{0: "ran", 1: "run_failed", 2: "run_refused"}[result.returncode]] += 1
        if files_in(work) not in allowed[result.returncode]:
            problem(f"run (exit {result.returncode}) left {files_in(work)}", result)
            continue
        shutil.rmtree(work)

    print(f"mutation sweep, seed {SEED}: {N} configs, {counts}")
    assert not problems, f"{len(problems)} of {N} mutants:\n" + "\n".join(problems[:40])


def test_the_sweep_is_seeded():
    """The same seed makes the same mutants, so a failure can be reproduced."""
    first = [m[2] for m, _ in zip(mutants(), range(5))]
    again = [m[2] for m, _ in zip(mutants(), range(5))]
    assert first == again
    if N >= 2:
        assert len(set(first)) > 1
