# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench bench-season scale-check seed worker migrate clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet -e '.[dev]' && touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput && $(PY) manage.py seed_demo --if-empty && $(PY) manage.py serve

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy accounts factories reporting cultivation config tools && $(VENV)/bin/lint-imports && $(PY) manage.py makemigrations --check --dry-run

# Every benchmark in turn (bench/__main__.py). The national filing season is separate: `make bench-season`
# (500,000 enterprises seeded in minutes, 200 clients for 60 s; BENCH_ARGS=--quick or --reuse).
bench: $(STAMP)
	$(PY) -m bench

bench-season: $(STAMP)
	$(PY) -m bench.season $(BENCH_ARGS)

# Two web instances behind nginx, PgBouncer, two workers and a beat on loopback (README: national deployment).
scale-check: $(STAMP)
	$(PY) -m bench.scale_check

seed: $(STAMP)
	$(PY) manage.py migrate --noinput && $(PY) manage.py seed_demo

worker: $(STAMP)
	$(PY) -m celery -A config worker -B --loglevel INFO

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

messages: $(STAMP)
	$(PY) manage.py makemessages -l en --no-obsolete -i "tests/*" -i "bench/*" && $(PY) manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf db.sqlite3 db.sqlite3-wal db.sqlite3-shm .run media/exports staticfiles
