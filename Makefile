# Two commands do all set-up on a fresh machine with only python3 and make:
#   make demo   - create .venv, install, generate demo data, run the monthly reports
#   make test   - create .venv, install with test extras, run the test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_CUSTOMERS ?= 40000

.PHONY: demo test lab notebooks install clean bench bench-run

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/retention demo-data --out data/demo --customers $(DEMO_CUSTOMERS) --seed 7
	$(VENV)/bin/retention run --params params --reports reports --jobs 2

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile --durations=12  # one worker per test file: module fixtures built once; the slowest tests listed (budget: 10 min on 2 cores)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# after editing a notebook's .py twin outside JupyterLab (or saving one with outputs): bring the .ipynb
# and the .py together (jupytext takes the newer one) and strip outputs, as tests/test_notebooks.py wants
notebooks: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb
	$(VENV)/bin/jupyter nbconvert --clear-output --inplace --log-level=WARN notebooks/*.ipynb

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

# one unit's monthly run on the demo (median of 3), and load + validate vs opening the snapshot;
# e.g. make bench-run BENCH_ARGS="--sizes 1000000 --runs 3"  (or --sizes 100000,1000000,10000000 --format parquet --memory-limit 8GB)
bench-run: $(STAMP)
	$(PY) benchmarks/bench_monthly_run.py $(BENCH_ARGS)

clean:
	rm -rf reports/20* data/demo .pytest_cache
