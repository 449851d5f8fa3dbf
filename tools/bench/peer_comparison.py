#!/usr/bin/env python3
"""Speed of aimarket against a Mesa 3 model of the same reduced market, on this machine, now.

The reduced market is aimarket's multinomial-logit textbook config (Bass adoption with p = 1,
every adopter reconsiders every step, logit choice among all firms on quality; see
tools/bench/mesa_peer.py). Both programs run the same customers, firms and steps; Mesa runs
one replicate, aimarket its ensemble, and both are counted in customer agent-steps per second
(customers x replicates x timed steps / seconds). Warm-up steps and set-up are not timed in
either. aimarket runs through `aimarket bench` on its CPU backend, on one thread and on all
threads, at the same size and at a large size.

Run it with the Python that has Mesa (tools/setup.sh makes it):

    .venv-bench/bin/python tools/bench/peer_comparison.py --aimarket build/aimarket
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "configs" / "textbook" / "logit.toml"

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class UserError(Exception):
    """A mistake on the command line or in the set-up: reported in one message, exit 2."""


def whole_number(minimum: int):
    """An argparse type: a whole number no smaller than `minimum`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def parse_args(argv):
    all_cpus = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(
        description="Compare aimarket's speed with a Mesa 3 model of the same reduced market "
                    "(Bass adoption + multinomial logit among firms), in agent-steps per "
                    "second, on this machine.",
        epilog="Run with the interpreter that has Mesa: .venv-bench/bin/python (made by "
               "tools/setup.sh). Exit status: 0 success, 2 bad input, 1 a run failed.")
    parser.add_argument("--aimarket", default=os.environ.get("AIMARKET"),
                        help="the aimarket program (default: $AIMARKET, else build/aimarket)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG),
                        help="a textbook config both models read (default: %(default)s)")
    parser.add_argument("--customers", type=positive_int, default=10000,
                        help="customer agents, both models (default: %(default)s)")
    parser.add_argument("--firms", type=positive_int, default=10,
                        help="firms: the config's named ones plus synthetic ones "
                             "(default: %(default)s)")
    parser.add_argument("--steps", type=positive_int, default=20,
                        help="timed steps per repetition (default: %(default)s)")
    parser.add_argument("--warmup", type=non_negative_int, default=2,
                        help="untimed steps first (default: %(default)s)")
    parser.add_argument("--repetitions", type=positive_int, default=3,
                        help="repetitions; medians are reported (default: %(default)s)")
    parser.add_argument("--replicates", type=positive_int, default=8,
                        help="aimarket's ensemble at the same size (default: %(default)s); "
                             "1 replicate is always run too")
    parser.add_argument("--large-customers", type=non_negative_int, default=1000000,
                        help="customers of the large aimarket size, 0 to skip it "
                             "(default: %(default)s)")
    parser.add_argument("--large-replicates", type=positive_int, default=1,
                        help="replicates of the large aimarket size (default: %(default)s)")
    parser.add_argument("--threads-all", type=positive_int, default=all_cpus,
                        help="'all threads' for aimarket (default: the CPUs this process may "
                             "use, %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    return parser.parse_args(argv)


def find_aimarket(given: str | None) -> str:
    path = pathlib.Path(given) if given else REPO / "build" / "aimarket"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UserError(f"aimarket program not found at {path}: build it (see README.md) or "
                        "pass --aimarket PATH")
    return str(path)


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_mesa(args):
    """Times the Mesa model: returns customer agent-steps per second per repetition."""
    import mesa
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import mesa_peer

    rates, cpu_use = [], []
    for _ in range(args.repetitions):
        market = mesa_peer.ReducedMarket.from_config(args.config, customers=args.customers,
                                                     firms=args.firms)
        for _ in range(args.warmup):
            market.step()
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            market.step()
        seconds = time.perf_counter() - start
        cpu_use.append((time.process_time() - cpu_start) / seconds)
        rates.append(args.customers * args.steps / seconds)
    return {"label": f"Mesa {mesa.__version__} (Python {platform.python_version()})",
            "threads": 1, "customers": args.customers, "replicates": 1,
            "agent_steps_per_second": spread(rates), "least_cpu_use": min(cpu_use),
            "command": "(in this script)"}


def run_aimarket(args, aimarket, label, customers, replicates, threads):
    with tempfile.TemporaryDirectory(prefix="aimarket-peer-") as scratch:
        report_path = pathlib.Path(scratch) / "bench.json"
        command = [aimarket, "bench", args.config, "--customers", str(customers),
                   "--firms", str(args.firms), "--replicates", str(replicates),
                   "--steps", str(args.steps), "--warmup", str(args.warmup),
                   "--repetitions", str(args.repetitions), "--backend", "cpu",
                   "--threads", str(threads), "--json", str(report_path)]
        done = subprocess.run(command, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with status {done.returncode}:\n"
                               f"{done.stderr.strip()}")
        report = json.loads(report_path.read_text())
    rate = report["summary"]["output_off"]["customer_updates_per_second"]
    least_cpu_use = min(r["cpu_seconds"] / (r["seconds"] * report["threads"])
                        for r in report["repetitions"])
    shown = [c if c != str(report_path) else "FILE.json" for c in command]
    return {"label": label, "threads": report["threads"], "customers": customers,
            "replicates": replicates, "agent_steps_per_second": rate,
            "least_cpu_use": least_cpu_use, "command": " ".join(shown)}


def print_results(args, results, machine):
    mesa_rate = results[0]["agent_steps_per_second"]["median"]
    print(f"peer comparison: the reduced customer market ({args.config}), {args.firms} firms, "
          f"{args.steps} timed steps after {args.warmup} warm-up steps, median (min - max) of "
          f"{args.repetitions} repetitions")
    print(f"machine: {machine['cpu_model']}, {machine['cpus']} CPUs; load average "
          f"{machine['load_before']:.2f} before, {machine['load_after']:.2f} after; "
          f"{machine['date_utc']}")
    print()
    # CPU use (processor time / wall time / threads) well below 100 % in a repetition means
    # other programs held the cores then: that row's numbers are disturbed.
    print(f"{'model':<32} {'threads':>7} {'customers x replicates':>24} "
          f"{'agent-steps/s (min - max)':>34} {'x Mesa':>8} {'CPU use':>8}")
    for r in results:
        s = r["agent_steps_per_second"]
        size = f"{r['customers']:,} x {r['replicates']}"
        rate = f"{s['median']:.3e} ({s['min']:.2e} - {s['max']:.2e})"
        print(f"{r['label']:<32} {r['threads']:>7} {size:>24} {rate:>34} "
              f"{s['median'] / mesa_rate:>8.1f} {100 * r['least_cpu_use']:>7.0f}%")
    print("(CPU use: the least over the repetitions, processor time / wall time / threads)")
    print()
    print(f"headline, same size ({args.customers:,} customers x {args.firms} firms x "
          f"{args.steps} steps; aimarket's {args.replicates}-replicate ensemble counted per "
          "agent-step):")
    for r in results[1:]:
        if r.get("headline"):
            print(f"  aimarket / Mesa on {r['threads']} thread{'s' if r['threads'] > 1 else ''}:"
                  f" {r['agent_steps_per_second']['median'] / mesa_rate:.1f}x")
    print()
    print("commands:")
    for r in results[1:]:
        print(f"  {r['command']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        aimarket = find_aimarket(args.aimarket)
        if not pathlib.Path(args.config).is_file():
            raise UserError(f"--config {args.config}: no such file")
        try:
            import mesa  # noqa: F401
        except ImportError:
            raise UserError(f"mesa is not importable by {sys.executable}: run tools/setup.sh "
                            "and use .venv-bench/bin/python") from None
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        import mesa_peer
        try:
            mesa_peer.read_reduced_config(args.config)
        except (mesa_peer.ConfigNotReducible, ValueError) as e:
            raise UserError(str(e)) from None
        if args.json and not pathlib.Path(args.json).resolve().parent.is_dir():
            raise UserError(f"--json {args.json}: the folder does not exist")
    except UserError as e:
        print(f"peer_comparison: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT

    machine = {"cpu_model": cpu_model(), "cpus": os.cpu_count(),
               "load_before": os.getloadavg()[0],
               "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
                   "%Y-%m-%d %H:%M UTC")}
    threads = [1] if args.threads_all == 1 else [1, args.threads_all]
    try:
        print("running Mesa ...", file=sys.stderr)
        results = [run_mesa(args)]
        plan = [("aimarket cpu", args.customers, 1, False)]
        if args.replicates != 1:
            plan.append(("aimarket cpu, ensemble", args.customers, args.replicates, True))
        else:
            plan[0] = ("aimarket cpu", args.customers, 1, True)
        if args.large_customers > 0:
            plan.append(("aimarket cpu, large size", args.large_customers,
                         args.large_replicates, False))
        for label, customers, replicates, headline in plan:
            for t in threads:
                print(f"running aimarket bench: {customers:,} customers x {replicates} "
                      f"replicates, {t} thread(s) ...", file=sys.stderr)
                result = run_aimarket(args, aimarket, label, customers, replicates, t)
                result["headline"] = headline
                results.append(result)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print(f"peer_comparison: {e}", file=sys.stderr)
        return EXIT_FAILED
    machine["load_after"] = os.getloadavg()[0]

    print_results(args, results, machine)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"machine": machine, "config": args.config, "firms": args.firms,
             "steps": args.steps, "warmup": args.warmup, "repetitions": args.repetitions,
             "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
