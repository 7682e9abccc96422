"""Benchmark: the HTML rows of the ledger page and of the warning board, printed now (f-strings,
`templatetags.ledger.ledger_rows`, `supervision.templatetags.board.board_rows`) and as before issue
16's third round (the format_html row and the board's template loop, kept as references in
tests/web/test_ledger_row_html.py and tests/web/test_board_rows_html.py). Same rows, alternating,
in one process; asserts both print the same bytes, prints p50 of each and the ratio.

    .venv/bin/python bench/bench_ledger_html.py /path/to/a-generated-province.sqlite3 [repeats]
    .venv/bin/python bench/bench_ledger_html.py postgres://…/a-generated-province [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _alternate(label: str, old: Any, new: Any, repeats: int) -> None:
    assert old() == new(), label
    times: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(repeats):
        for name, fn in (("old", old), ("new", new)):
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    o, n = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"  {label:<34} before p50 {o:6.1f} ms, now {n:6.1f} ms ({o / n:.1f}×)", flush=True)


def main() -> None:
    url = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_ledger

    bench_ledger.setup(url if "://" in url else f"sqlite:///{Path(url).resolve()}")
    from django.template import Context
    from django.test import RequestFactory

    from bench.generate import make_users
    from rectify.core import clock
    from rectify.orgs.scope import viewer_scope
    from rectify.plans import selectors
    from rectify.plans.ledger_page import ledger_page
    from rectify.plans.models import WarningLevel
    from rectify.plans.templatetags.ledger import ledger_rows
    from rectify.supervision import selectors as board
    from rectify.supervision.templatetags.board import board_rows
    from tests.web.test_board_rows_html import REFERENCE
    from tests.web.test_ledger_row_html import reference_row

    print(f"load average before: {__import__('os').getloadavg()}", flush=True)
    users = make_users()
    for who in ("coordinator", "clerk"):
        user = users[who]
        request = RequestFactory().get("/")
        request.user = user
        scope = viewer_scope(user)
        pager = selectors.MeasurePager(viewer=user, filters=selectors.LedgerFilters(), read=ledger_page)
        rows = pager[50:100]
        _alternate(
            f"{who}: ledger, 50 rows",
            lambda rows=rows, scope=scope: "".join(f"\n  {reference_row(m, scope)}\n  " for m in rows),
            lambda rows=rows, request=request: str(ledger_rows({"request": request}, rows)),
            repeats,
        )
        filters = selectors.LedgerFilters(warnings=[WarningLevel.RED, WarningLevel.YELLOW])
        shares = list(board.board_summary(viewer=user, filters=filters).shares[0:50])
        assessed = board.annotate_reasons(shares, today=clock.today())
        _alternate(
            f"{who}: board, {len(assessed)} rows",
            lambda assessed=assessed: REFERENCE.render(Context({"rows": assessed})),
            lambda assessed=assessed: str(board_rows(assessed)),
            repeats,
        )
    print(f"load average after: {__import__('os').getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
