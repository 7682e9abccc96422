# `make check` runs exactly what CI runs.
.PHONY: start test check schema bench fmt

start:
	scripts/start

test:
	scripts/test

check:
	bash .ci/run

fmt:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

schema:
	.venv/bin/rectify spectacular --file docs/openapi.json --format openapi-json --validate

bench:
	.venv/bin/python bench/bench_ledger.py
	.venv/bin/python bench/bench_parse.py
