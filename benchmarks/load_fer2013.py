"""Time loading FER2013 from its CSV, cold and from the cache, and report peak memory.

Usage::

    python3 benchmarks/load_fer2013.py --data-dir DIR [--cache-dir DIR]

Prints the cold load time (parsing the CSV, no cache; wall clock and CPU time), the
peak resident memory of the process after it (``resource.getrusage(...).ru_maxrss``),
the time of a load that writes the cache entry and the time of a second, cached load.
Without ``--cache-dir`` a temporary folder is used and removed afterwards. With a
``--cache-dir`` that already holds the entry, the cached load reads it (the cold load
never uses the cache).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from ferlib.datasets import load_dataset  # noqa: E402


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss: KiB on Linux, bytes
    on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function):
    """``(result, wall seconds, CPU seconds)`` of calling ``function()``.

    The CPU time shows the work done even on a machine shared with other jobs, where
    the wall-clock time also counts the waits for a core.
    """
    start, start_cpu = time.perf_counter(), cpu_seconds()
    result = function()
    return result, time.perf_counter() - start, cpu_seconds() - start_cpu


def run(data_dir, cache_dir) -> dict:
    """Load FER2013 cold, then through ``cache_dir`` twice; return the measurements."""
    cold, cold_s, cold_cpu = timed(lambda: load_dataset("fer2013", data_dir))
    peak_after_cold = peak_rss_mib()
    _, first_cached_s, _ = timed(
        lambda: load_dataset("fer2013", data_dir, cache_dir=cache_dir))
    cached, cached_s, cached_cpu = timed(
        lambda: load_dataset("fer2013", data_dir, cache_dir=cache_dir))
    if len(cached) != len(cold) or not (cached.images == cold.images).all():
        raise SystemExit("cached load differs from the cold load")
    return {
        "rows": len(cold),
        "per_split": cold.summary()["per_split"],
        "cold_load_s": cold_s,
        "cold_load_cpu_s": cold_cpu,
        "peak_rss_after_cold_mib": peak_after_cold,
        "first_load_with_cache_s": first_cached_s,
        "cached_load_s": cached_s,
        "cached_load_cpu_s": cached_cpu,
        "peak_rss_end_mib": peak_rss_mib(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path,
                        help="data root holding fer2013/ (or fer2013.csv[.gz])")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache folder (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)
    if args.cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="ferlib-cache-") as tmp:
            results = run(args.data_dir, Path(tmp))
    else:
        results = run(args.data_dir, args.cache_dir)
    print(f"rows:                    {results['rows']} {results['per_split']}")
    print(f"cold load (CSV parse):   {results['cold_load_s']:.2f} s "
          f"(CPU {results['cold_load_cpu_s']:.2f} s)")
    print(f"peak RSS after cold:     {results['peak_rss_after_cold_mib']:.0f} MiB")
    print(f"load + cache write:      {results['first_load_with_cache_s']:.2f} s")
    print(f"cached (second) load:    {results['cached_load_s']:.2f} s "
          f"(CPU {results['cached_load_cpu_s']:.2f} s)")
    print(f"peak RSS at the end:     {results['peak_rss_end_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
