"""The portfolio benchmark: `repolens portfolio` on 200 generated repositories (mixed
sizes, 8 of them refused by `repolens check`), at --jobs 1 and --jobs 2, and the merge
alone. Imported by bench/run.py (``--trees portfolio``)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPOSITORIES = 200


def portfolio_section(
    data: Path,
    runs: int,
    timeout: float,
    bench: Callable[[list[str], int, float], Any],
    fmt_seconds: Callable[[Any], str],
) -> list[str]:
    tree = data / f"portfolio-{REPOSITORIES}"
    if not tree.exists():
        subprocess.run(
            [sys.executable, str(HERE.parent / "examples" / "make_portfolio.py"), str(tree)],
            check=True,
        )
    python = sys.executable
    results: dict[str, Any] = {}
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        # Interleaved (1, 2, 1, 2, ...): a shared machine's slow minutes hit both alike.
        # Each run writes into a new folder: nothing to delete inside the timed command.
        for turn in range(runs):
            for jobs in (1, 2):
                name = f"--jobs {jobs}"
                out = Path(scratch) / f"jobs{jobs}-{turn}"
                command = [
                    "sh",
                    "-c",
                    f"'{python}' -m repolens portfolio '{tree}' -o '{out}' --jobs {jobs} -q "
                    f"--run-id bench-{turn}; "
                    "test $? -eq 5",  # 8 repositories fail by design
                ]
                print(f"portfolio: {name} ({turn + 1}/{runs}) ...", file=sys.stderr, flush=True)
                run = bench(command, 1, timeout)
                if name not in results:
                    results[name] = run
                else:
                    results[name].seconds += run.seconds
                    results[name].peak_kib += run.peak_kib
                    results[name].failed = results[name].failed or run.failed
        for jobs in (1, 2):
            rows = [
                json.loads(path.read_text())
                for path in (Path(scratch) / f"jobs{jobs}-0").glob("*/row.json")
            ]
            peaks[f"--jobs {jobs}"] = max(row["worker_peak_kib"] for row in rows) / 1024
        out = Path(scratch) / "jobs2-0"
        merge = [python, "-m", "repolens", "portfolio", str(tree), "-o", str(out), "--merge"]
        merge += ["--run-id", "bench-0"]  # the run whose rows jobs2-0 holds
        results["--merge"] = bench(
            ["sh", "-c", " ".join(f"'{p}'" for p in merge) + " -q; test $? -eq 5"], runs, timeout
        )
        document = json.loads((out / "portfolio.json").read_text())
        same = (Path(scratch) / "jobs1-0" / "portfolio.json").read_bytes() == (
            out / "portfolio.json"
        ).read_bytes()
    one, two = results["--jobs 1"], results["--jobs 2"]
    lines = [
        "",
        f"## Portfolio of {REPOSITORIES} generated repositories (`repolens portfolio`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, same machine. "
        f"`examples/make_portfolio.py`: {REPOSITORIES} repositories of mixed sizes "
        f"({sum(1 for _ in tree.rglob('*')):,} entries), {document['counts']['failed']} refused "
        "by `repolens check` (a settings file that does not parse) and recorded as failed. "
        f"Median of {runs} runs each, --jobs 1 and --jobs 2 taking turns; scan and every "
        "check per repository, reports written (each file synced). "
        "Targets: merge of 200 results under 2 s; --jobs 2 at least 1.7x the throughput of "
        "--jobs 1.",
        "",
        "| run | median wall | repositories per minute | peak RSS (largest process) "
        "| peak RSS per worker |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, run in results.items():
        rate = f"{REPOSITORIES / run.median * 60:,.0f}" if run.median else "-"
        worker = f"{peaks[name]:.0f} MiB" if name in peaks else "-"
        peak = f"{run.peak_mib:.0f} MiB" if run.peak_mib else "-"
        rate = rate if name != "--merge" else "-"
        lines.append(f"| {name} | {fmt_seconds(run)} | {rate} | {peak} | {worker} |")
    if one.median and two.median:
        lines += [
            "",
            f"Throughput at --jobs 2: {one.median / two.median:.2f}x --jobs 1. The merge reads "
            f"{REPOSITORIES} row files and writes the table in {fmt_seconds(results['--merge'])} "
            "(interpreter start included). The table from --jobs 1 and --jobs 2 is "
            + ("byte-identical." if same else "NOT identical."),
        ]
    return lines
