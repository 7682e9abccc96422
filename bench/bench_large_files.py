"""Benchmark: memory of building, storing and serving a large background-job file (issue 16).

Each phase runs in its own process (peak RSS only grows) over a throwaway MEDIA_ROOT:

- `build`:  a 交账-like package written by documents.dossier.write_zip entry by entry to a file:
            stored evidence files (content-addressed, streamed in) and local dossier files (Paths)
            totalling --mb MB, then stored by documents.jobs.result_put_file (hashed in chunks,
            copied in chunks);
- `serve`:  documents.jobs serving that stored file (hash pass in chunks, then a FileResponse
            whose streaming_content is read to the end as a client would);
- `old`:    the former way for comparison: the whole file read into memory and hashed
            (core.files.stored_file_bytes), as jobs.py and the API's package download did.

Prints peak RSS (ru_maxrss) and Python's traced peak (tracemalloc) per phase.

    .venv/bin/python bench/bench_large_files.py [--mb 500]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def _setup(media: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["RECTIFY_MEDIA_ROOT"] = media
    import django
    from django.conf import settings

    django.setup()
    settings.MEDIA_ROOT = media


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _fill(path: Path, size: int) -> None:
    """Random bytes: a photo or a scan does not compress, so the package is as large as its parts."""
    with path.open("wb") as f:
        for _ in range(size // MB):
            f.write(os.urandom(MB))


def phase(name: str, media: str, mb: int) -> dict[str, float]:
    _setup(media)
    import datetime as dt

    from django.core.files.storage import default_storage

    from rectify.core.files import stored_file_bytes
    from rectify.documents import jobs
    from rectify.documents.dossier import write_zip

    state = Path(media) / "bench.json"
    before = _rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    if name == "build":
        work = Path(tempfile.mkdtemp(dir=media))
        (Path(media) / "bench").mkdir()
        entries = []
        per = 25 * MB
        for n in range(mb * MB // per):
            if n % 2:  # a stored evidence file, as a dossier holds them
                stored_name = f"bench/evidence-{n}.bin"
                _fill(Path(default_storage.path(stored_name)), per)
                entries.append((f"问题{n}/证据.bin", dt.date(2022, 10, 25), None, stored_name))
            else:  # a dossier written to its own file
                local = work / f"d{n}.zip"
                _fill(local, per)
                entries.append((f"一案一档/问题{n}.zip", dt.date(2022, 10, 25), local, ""))
        target = work / "package.zip"
        write_zip(entries, target)
        stored = jobs.result_put_file("b" * 64, target, "zip")
        state.write_text(json.dumps(stored.__dict__))
        extra = {"package_mb": round(stored.size / MB, 1)}
    elif name == "serve":
        stored = jobs.Stored(**json.loads(state.read_text()))
        src = jobs.Source("fp", "交账包.zip", "package.zip", "application/zip", render=lambda: b"")
        response = jobs._serve(None, src, stored, None)  # type: ignore[arg-type]  # no refusal expected
        assert response is not None and response.streaming
        total = sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined]
        response.close()
        assert total == stored.size
        extra = {"served_mb": round(total / MB, 1)}
    else:
        stored = jobs.Stored(**json.loads(state.read_text()))
        data = stored_file_bytes(stored.storage_name, stored.sha256)
        assert data is not None
        extra = {"served_mb": round(len(data) / MB, 1)}
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return {
        "phase": name,
        "seconds": round(seconds, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(_rss_mb(), 1),
        "traced_peak_mb": round(traced, 1),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--phase")
    parser.add_argument("--media")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.media, args.mb)))
        return
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-large-") as media:
        for name in ("build", "serve", "old"):
            out = subprocess.run(
                [sys.executable, __file__, "--phase", name, "--media", media, "--mb", str(args.mb)],
                check=True,
                capture_output=True,
                text=True,
            )
            print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
