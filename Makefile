# The two commands: `make run` (the server on the embedded default) and `make test`.
# Each sets up .venv idempotently: it reinstalls only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TORCH  := torch==2.13.0

.PHONY: run demo test audit privacy-proof privacy-matrix models-table lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU torch first (this machine kind keeps a CPU build on disk), so the diffusers
	# extra does not pull a multi-GB CUDA build; the diffusers tests then run for real.
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev,diffusers]"
	touch $(STAMP)

# The nudity moderator's tests need its optional extra. nudenet pins opencv-python-headless,
# which would clash with mediapipe's opencv build that already gives it cv2, so it goes in
# without its dependencies, for the tests only (`make run` never installs this AGPL extra).
NUDITY_STAMP := $(VENV)/.nudity-stamp

$(NUDITY_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet "onnxruntime>=1.17"
	$(BIN)/python -m pip install --quiet --no-deps "nudenet==3.4.2"
	touch $(NUDITY_STAMP)

run: $(STAMP)
	$(BIN)/reelvault serve

demo: $(STAMP)
	$(BIN)/reelvault generate "a red balloon drifting over a calm sea at sunset" \
		-o out/balloon.mp4 --seconds 4 --size 640x360 --fps 24 --seed 7

# Two test processes: most tests wait on subprocesses, services and the browser, so a
# 2-core machine finishes the suite in about half the time (PYTEST_WORKERS=0: one process).
PYTEST_WORKERS ?= 2

test: $(STAMP) $(NUDITY_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	# No block of 11+ identical lines in src/ (one copy of each helper).
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=11 src/reelvault
	# Bytecode for every module, so each CLI, server and worker process the tests start
	# does not compile the project again (where PYTHONDONTWRITEBYTECODE is set, Python
	# reads .pyc files but never writes them: about 0.6 s a process).
	$(BIN)/python -m compileall -q src tests >/dev/null
	$(BIN)/pytest -q -n $(PYTEST_WORKERS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# Dependency audit (pip-audit) where its vulnerability service answers; says so plainly and
# exits 0 where it does not. Findings fail only with REELVAULT_AUDIT_STRICT=1.
audit: $(STAMP)
	$(BIN)/python .ci/audit.py

# The privacy matrix checked by removing each row's enforcement (also part of `make test`).
privacy-proof: $(STAMP)
	$(BIN)/pytest -q -m privacy_proof tests/privacy

# docs/privacy-matrix.md from docs/privacy-matrix.yaml.
privacy-matrix: $(STAMP)
	$(BIN)/python -m tests.privacy.matrix

# README's table of built-in models from src/reelvault/engines/diffusers/models.yaml.
models-table: $(STAMP)
	$(BIN)/python -m reelvault.engines.diffusers.cards README.md

lint: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/mypy

# The PostgreSQL server of the scale-out figures (each bench creates and drops a scratch
# database on it); `make bench BENCH_POSTGRES=` measures SQLite only.
BENCH_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
BENCH_PG_FLAG  := $(if $(BENCH_POSTGRES),--database-url $(BENCH_POSTGRES))
RETENTION_SIZES := 100000,1000000

bench: $(STAMP)
	$(BIN)/python bench/vault.py
	$(BIN)/python bench/api.py $(BENCH_PG_FLAG)
	$(BIN)/python bench/retention.py --sizes $(RETENTION_SIZES)
	$(if $(BENCH_POSTGRES),$(BIN)/python bench/retention.py --sizes $(RETENTION_SIZES) $(BENCH_PG_FLAG))
	$(BIN)/python bench/scale.py $(if $(BENCH_POSTGRES),$(BENCH_PG_FLAG),--only throughput)
	$(BIN)/python bench/engines.py
	$(BIN)/python bench/provenance.py
	$(BIN)/python bench/diffusers_overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
