"""The ledger's text index: overlapping two-character grams of every measure's and problem's text.

Chinese has no spaces, and the common query is two characters (扬尘, 巡查), which a trigram index
cannot serve. So each text becomes its character bigrams, in order (巡查整改 → 巡查 查整 整改), and a
query of n ≥ 2 characters is the phrase of its n − 1 bigrams at consecutive positions: exactly
"the query is a substring of the text" over the folded characters. The index is written by the
application (`index_measures`, `index_problems`, called where the ledger's texts are written), not
by triggers: Django's SQLite schema editor rebuilds a table on most `AlterField`s and would drop
triggers on it silently, while these tables are not Django models and no schema change touches
them.

- SQLite: FTS5 tables `plans_measure_search` and `plans_problem_search` (rowid = the measure's or
  problem's id), the ascii tokenizer over space-separated grams (every non-ASCII character is a
  token character, so a gram of two Chinese characters is one token).
- PostgreSQL: tables `plans_measure_search (measure_id, grams tsvector)` and
  `plans_problem_search (problem_id, grams tsvector)` with a GIN index; the tsvector is built here
  with positions, the query is a tsquery phrase (`'巡查' <-> '查整'`). Built-in, no extension. A text
  a tsvector cannot hold exactly (positions stop at 16383, at most 256 per lexeme) is stored
  without grams and is always a candidate.
- Other databases: no index; the ledger's text filter stays a LIKE scan.

The index narrows, it never decides: plans.search re-checks every candidate with the same
`icontains` the ledger always used, so results are exactly those of the LIKE filter as long as
the candidates include every match. Folding is therefore per character and coarser than both
databases' case rules (ASCII letters for SQLite's LIKE, Unicode upper case for PostgreSQL's
UPPER() … LIKE): no NFKC (a full-width Ａ is not "a" to LIKE, and NFKC is not per character).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from django.db import connection as default_connection

MEASURES = "plans_measure_search"
PROBLEMS = "plans_problem_search"
# (search table, its id column on PostgreSQL, the source table)
TABLES = {MEASURES: ("measure_id", "plans_measure"), PROBLEMS: ("problem_id", "plans_problem")}
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS_PER_LEXEME = 256
BATCH = 2000

# ASCII: letters fold to lower case, digits stay, everything else (space, punctuation, control
# characters) becomes a private-use character, so that a gram is always one token of the ascii
# tokenizer and never needs quoting. Two different characters mapping to one only adds candidates.
_ASCII = {c: (chr(c).lower() if chr(c).isalnum() else chr(0xE000 + c)) for c in range(128)}
_SURROGATE = re.compile("[\ud800-\udfff]")


@cache
def _fold_char(c: str) -> str:
    """One character as the index sees it: upper case then lower case, each only where it stays
    one character (so 'ſ' → 's', 'K' (Kelvin) → 'k', 'ß' stays)."""
    if "\ud800" <= c <= "\udfff":  # a lone surrogate cannot be stored; any stand-in will do
        return "\ufffd"
    upper = c.upper()
    upper = upper if len(upper) == 1 else c
    lower = upper.lower()
    return lower if len(lower) == 1 else upper


def fold(text: str) -> str:
    """`text` folded character by character (the same length as `text`)."""
    text = text.translate(_ASCII)
    if text.upper() == text and text.lower() == text and not _SURROGATE.search(text):
        return text  # no cased letter left (Chinese, digits, punctuation): nothing to fold
    return "".join(map(_fold_char, text))


def grams(text: str) -> list[str]:
    """The text's overlapping bigrams, in order (a text of one character has none)."""
    t = fold(text)
    return [t[i : i + 2] for i in range(len(t) - 1)]


# --- backends -------------------------------------------------------------------------------------


def vendor(connection: Any = None) -> str:
    return str((connection or default_connection).vendor)


def supported(connection: Any = None) -> bool:
    return vendor(connection) in ("sqlite", "postgresql")


def ready(connection: Any = None) -> bool:
    """Both search tables exist on this database. Remembered on the connection once true (for
    the database it is connected to): nothing but `drop_tables` removes them."""
    conn: Any = connection or default_connection
    if not supported(conn):
        return False
    if getattr(conn, "_search_ready_on", None) == conn.settings_dict["NAME"]:
        return True
    with conn.cursor() as cursor:
        if vendor(conn) == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (%s, %s)", [MEASURES, PROBLEMS]
            )
            found = int(cursor.fetchone()[0]) == 2
        else:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL", [MEASURES, PROBLEMS])
            found = bool(cursor.fetchone()[0])
    if found:
        conn._search_ready_on = conn.settings_dict["NAME"]
    return found


def create_tables(connection: Any = None) -> bool:
    """Create the search tables where missing; True when any was created (then fill them)."""
    conn = connection or default_connection
    if not supported(conn) or ready(conn):
        return False
    with conn.cursor() as cursor:
        for table, (id_column, _source) in TABLES.items():
            if vendor(conn) == "sqlite":
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} "
                    "USING fts5(grams, tokenize = 'ascii', detail = 'full', columnsize = 0)"
                )
            else:
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({id_column} integer PRIMARY KEY, grams tsvector)")
    _pg_indexes(conn)
    return True


def _pg_indexes(conn: Any, *, drop: bool = False) -> None:
    if vendor(conn) != "postgresql":
        return
    with conn.cursor() as cursor:
        for table, (id_column, _source) in TABLES.items():
            if drop:  # a bulk fill builds the GIN index once, after the rows, in a fraction of the time
                cursor.execute(f"DROP INDEX IF EXISTS {table}_grams")
                continue
            # No pending list: every query would read it whole (436 pages after a 100k reindex).
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_grams ON {table} USING gin (grams) WITH (fastupdate = off)"
            )
            # The texts a tsvector cannot hold exactly: always candidates, found by this index.
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_whole ON {table} ({id_column}) WHERE grams IS NULL")


def drop_tables(connection: Any = None) -> None:
    conn: Any = connection or default_connection
    if not supported(conn):
        return
    conn._search_ready_on = None
    with conn.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _tsvector(tokens: Sequence[str]) -> str | None:
    """The tsvector literal of a gram sequence, or None when PostgreSQL could not hold it exactly."""
    if len(tokens) > PG_MAX_POSITION:
        return None
    positions: dict[str, list[int]] = defaultdict(list)
    for i, token in enumerate(tokens, start=1):
        positions[token].append(i)
    if any(len(p) > PG_MAX_POSITIONS_PER_LEXEME for p in positions.values()):
        return None
    return " ".join(f"'{token}':{','.join(map(str, p))}" for token, p in positions.items())


def _write(table: str, rows: Iterable[tuple[int, str]], connection: Any = None) -> int:
    """(Re)index (id, text) rows of one table; returns how many."""
    conn = connection or default_connection
    rows = list(rows)
    if not rows or not ready(conn):
        return 0
    with conn.cursor() as cursor:
        if vendor(conn) == "sqlite":
            for i in range(0, len(rows), BATCH):
                chunk = rows[i : i + BATCH]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", [pk for pk, _ in chunk])  # noqa: S608
                cursor.executemany(
                    f"INSERT INTO {table} (rowid, grams) VALUES (%s, %s)",  # noqa: S608
                    [(pk, " ".join(grams(text or ""))) for pk, text in chunk],
                )
        else:
            id_column = TABLES[table][0]
            for i in range(0, len(rows), BATCH):
                chunk = rows[i : i + BATCH]
                cursor.execute(
                    f"INSERT INTO {table} ({id_column}, grams) VALUES "  # noqa: S608
                    + ", ".join(["(%s, %s::tsvector)"] * len(chunk))
                    + f" ON CONFLICT ({id_column}) DO UPDATE SET grams = EXCLUDED.grams",
                    [v for pk, text in chunk for v in (pk, _tsvector(grams(text or "")))],
                )
    return len(rows)


def index_measures(measures: Iterable[Any], connection: Any = None) -> int:
    """Index these measures (model objects, or (id, text) pairs) as their text is now."""
    return _write(MEASURES, ((m.pk, m.text) if hasattr(m, "pk") else m for m in measures), connection)


def index_problems(problems: Iterable[Any], connection: Any = None) -> int:
    """Index these problems (model objects, or (id, text) pairs) as their text is now."""
    return _write(PROBLEMS, ((p.pk, p.text) if hasattr(p, "pk") else p for p in problems), connection)


def _source_rows(table: str, connection: Any) -> Iterator[list[tuple[int, str]]]:
    """The source table's (id, text) in batches, read with plain SQL (usable inside migrations)."""
    source = TABLES[table][1]
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, text FROM {source} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last, BATCH],
            )
            rows = [(int(pk), str(text)) for pk, text in cursor.fetchall()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def reindex(connection: Any = None) -> dict[str, int]:
    """Rebuild both indexes from the ledger's tables (creating them where missing): the bulk path
    for generators, migrations and `rectify reindex_search`. Returns rows indexed per table."""
    conn = connection or default_connection
    if not supported(conn):
        return {}
    create_tables(conn)
    _pg_indexes(conn, drop=True)
    done: dict[str, int] = {}
    for table in TABLES:
        with conn.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        done[table] = sum(_write(table, rows, conn) for rows in _source_rows(table, conn))
    _pg_indexes(conn)
    with conn.cursor() as cursor:
        for table in TABLES:
            if vendor(conn) == "sqlite":  # merge the index's segments into one
                cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")  # noqa: S608
            else:
                cursor.execute(f"ANALYZE {table}")
    return done


def _indexed(table: str, connection: Any) -> dict[int, str | None]:
    with connection.cursor() as cursor:
        if vendor(connection) == "sqlite":
            cursor.execute(f"SELECT rowid, grams FROM {table}")  # noqa: S608
        else:
            cursor.execute(f"SELECT {TABLES[table][0]}, grams::text FROM {table}")  # noqa: S608
        return {int(pk): g for pk, g in cursor.fetchall()}


def _same(have: str | None, want: str | None, connection: Any) -> bool:
    if have is None or want is None or vendor(connection) == "sqlite":
        return have == want
    return set(have.split()) == set(want.split())  # PostgreSQL prints a tsvector's lexemes sorted


def differences(connection: Any = None) -> dict[str, Counter[str]]:
    """What the index says against what it should say, per table: rows "missing" from the index,
    "stale" (grams of another text), "extra" (of a deleted row). Empty counters: in step."""
    conn = connection or default_connection
    if not supported(conn):
        return {}
    out: dict[str, Counter[str]] = {}
    for table in TABLES:
        indexed = _indexed(table, conn) if ready(conn) else {}
        found: Counter[str] = Counter()
        for rows in _source_rows(table, conn):
            for pk, text in rows:
                tokens = grams(text)
                want = " ".join(tokens) if vendor(conn) == "sqlite" else _tsvector(tokens)
                if pk not in indexed:
                    found["missing"] += 1
                elif not _same(indexed.pop(pk), want, conn):
                    found["stale"] += 1
        found["extra"] += len(indexed)
        out[table] = +found
    return out


# --- reads ----------------------------------------------------------------------------------------


def candidates_sql(table: str, tokens: Sequence[str], limit: int, connection: Any = None) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the ids whose text holds the gram phrase, at most `limit` of
    them: a superset of the texts containing the query (see the module's note on folding)."""
    conn = connection or default_connection
    if vendor(conn) == "sqlite":
        return (
            f"SELECT rowid FROM {table} WHERE {table} MATCH %s LIMIT %s",  # noqa: S608
            ['"' + " ".join(tokens) + '"', limit],
        )
    id_column = TABLES[table][0]
    query = " <-> ".join(f"'{t}'" for t in tokens)
    return (
        f"SELECT {id_column} FROM {table} WHERE grams @@ %s::tsquery "  # noqa: S608
        f"UNION ALL SELECT {id_column} FROM {table} WHERE grams IS NULL LIMIT %s",
        [query, limit],
    )
