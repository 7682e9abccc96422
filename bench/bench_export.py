"""Benchmark: `rectify export_ledger` to .xlsx, .csv and .json at 100,000 measures, each run in a
subprocess of its own: wall time, CPU time (user + system) and peak RSS of that process (from
os.wait4, the same figure as resource.getrusage(RUSAGE_CHILDREN).ru_maxrss for one child).

The province is bench_scan's (bench/generate.py's 11 cities and 100k measures, enriched with
every deadline kind, milestones and 533k progress reports). On SQLite it is built once into
/tmp/province100k/ (under `flock /tmp/province.lock`, reused while /tmp/province100k/READY
exists) and copied before use, since an export writes its audit row. With BENCH_POSTGRES_URL set,
the same runs go against a throwaway PostgreSQL database (built here, dropped after).

`--reference` also runs the export as it was before it streamed (tests/domain/ledger_reference.py:
the whole export built in memory, then written) for one format, for the ratio in the same run.
Target: each format ≤ 10 s and ≤ 200 MB peak RSS.

The runs use compiled bytecode kept in a temporary directory (PYTHONPYCACHEPREFIX), filled by an
untimed start per tree, as an installed copy has its modules compiled.

`--province PATH` uses a ready SQLite province (bench_scan's build, e.g. /tmp/bench/scan100k.sqlite3)
instead of /tmp/province100k (copied, never written); `--keep DIR` keeps the exported files there
(to compare two versions' files byte for byte). `--before TREE` also runs, before each of this
tree's runs, the export of another copy of the code (e.g. `git archive HEAD rectify config | tar -x
-C TREE`), for before and after in one run under the same load.

    .venv/bin/python bench/bench_export.py [--formats xlsx,csv,json] [--reference csv] [--province PATH] [--keep DIR]
        [--before TREE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = 100_000
AS_OF = "2023-09-04"  # bench_scan's date: its reports and deadlines are laid out around it
PROVINCE = Path("/tmp/province100k")
LOCK = "/tmp/province.lock"
RECTIFY = str(ROOT / ".venv" / "bin" / "rectify")

REFERENCE = """
import os, sys, datetime as dt
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
from pathlib import Path
from rectify.plans.models import Measure
from tests.domain import ledger_reference as reference
measures = Measure.objects.all().order_by("problem__plan_id", "problem__index", "seq")
data = reference.build_export(measures, as_of=dt.date.fromisoformat({as_of!r}))
Path({out!r}).write_bytes(reference.export_bytes(data, {fmt!r}))
"""

# Imports what an export imports (and opens the database), so the timed runs find it compiled.
WARM_UP = """
import os, sys
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
from rectify.documents.management.commands import export_ledger  # noqa: F401
from rectify.plans.models import Measure
Measure.objects.count()
"""


def sqlite_province() -> Path:
    """The shared 100k SQLite database, built once by whoever needs it first."""
    build = (
        f"test -f {PROVINCE}/READY || (rm -rf {PROVINCE} && mkdir -p {PROVINCE} && "
        f'{sys.executable} -c \'import sys, datetime as dt; sys.path.insert(0, "{ROOT}"); '
        f"from bench.bench_scan import build; "
        f'build("sqlite:///{PROVINCE}/rectify.sqlite3", {SIZE}, dt.date.fromisoformat("{AS_OF}"))\' '
        f"&& touch {PROVINCE}/READY)"
    )
    subprocess.run(["flock", LOCK, "sh", "-c", build], check=True)
    return PROVINCE / "rectify.sqlite3"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _command(tree: Path | None) -> list[str]:
    """`rectify` from this tree, or from another copy of the code (its rectify and config first on the path)."""
    if tree is None:
        return [RECTIFY]
    code = f"import sys; sys.path.insert(0, {str(tree)!r}); from rectify.manage import main; main()"
    return [sys.executable, "-c", code]


def bench(
    name: str,
    env: dict[str, str],
    formats: list[str],
    reference: str | None,
    out: Path,
    keep: Path | None = None,
    before: Path | None = None,
) -> None:
    print(f"== {name}, {SIZE} measures, as of {AS_OF}", flush=True)
    print(f"  {'export':<22} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'file':>10}", flush=True)
    for fmt in formats:
        for tree, label in [(before, "before"), (None, "streaming")] if before else [(None, "streaming")]:
            path = out / f"ledger.{fmt}"
            wall, cpu, rss = run([*_command(tree), "export_ledger", str(path), "--as-of", AS_OF], env)
            size = path.stat().st_size / 2**20
            flag = "" if wall <= 10 and rss <= 200 else "  (over target)"
            print(
                f"  {label} .{fmt:<{21 - len(label)}} {wall:7.1f}s {cpu:7.1f}s {rss:7.0f} MiB {size:7.1f} MiB{flag}"
                f"   (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
            if keep is not None:
                prefix = f"{name.lower()}-before" if tree else name.lower()
                shutil.copy(path, keep / f"{prefix}-ledger.{fmt}")
        if fmt == reference:
            ref = out / f"reference.{fmt}"
            code = REFERENCE.format(root=str(ROOT), as_of=AS_OF, out=str(ref), fmt=fmt)
            rwall, rcpu, rrss = run([sys.executable, "-c", code], env)
            rsize = ref.stat().st_size / 2**20
            print(
                f"  in memory .{fmt:<12} {rwall:7.1f}s {rcpu:7.1f}s {rrss:7.0f} MiB {rsize:7.1f} MiB"
                f"   (before: ×{rwall / wall:.1f} the time, ×{rrss / rss:.1f} the memory)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="xlsx,csv,json")
    parser.add_argument("--reference", default=None, help="also run the in-memory export for this format")
    parser.add_argument("--province", type=Path, default=None, help="a ready SQLite province to copy")
    parser.add_argument("--keep", type=Path, default=None, help="keep the exported files in this directory")
    parser.add_argument("--before", type=Path, default=None, help="also run this copy of the code, before each run")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    formats = args.formats.split(",")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)", flush=True)
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    base_env.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        # The code compiled once, as a deployed install has it: with PYTHONDONTWRITEBYTECODE set
        # (as in the helpers' shells), each run compiled ~130 of the project's modules again. The
        # bytecode goes to a directory of this run's own, never into the trees; an untimed start
        # per tree (WARM_UP) fills it.
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        base_env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        var = Path(tmp) / "var"
        var.mkdir()
        shutil.copy(args.province or sqlite_province(), var / "rectify.sqlite3")
        env = {**base_env, "RECTIFY_VAR_DIR": str(var)}
        for tree in [ROOT, *([args.before] if args.before else [])]:
            subprocess.run([sys.executable, "-c", WARM_UP.format(root=str(tree))], env=env, check=True)
        bench("SQLite", env, formats, args.reference, Path(tmp), args.keep, args.before)
        (var / "rectify.sqlite3").unlink()
        pg = os.environ.get("BENCH_POSTGRES_URL")
        if pg:
            db = "rectify_bench_export"
            subprocess.run(["psql", pg, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
            subprocess.run(["psql", pg, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
            url = pg.rsplit("/", 1)[0] + "/" + db
            try:
                code = (
                    f"import sys, datetime as dt; sys.path.insert(0, {str(ROOT)!r}); "
                    f"from bench.bench_scan import build; build({url!r}, {SIZE}, dt.date.fromisoformat({AS_OF!r}))"
                )
                subprocess.run([sys.executable, "-c", code], check=True)
                bench(
                    "PostgreSQL",
                    {**base_env, "DATABASE_URL": url, "RECTIFY_VAR_DIR": str(var)},
                    formats,
                    None,
                    Path(tmp),
                    args.keep,
                )
            finally:
                subprocess.run(["psql", pg, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
