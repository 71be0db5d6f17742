# xlsdun — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
STAMP  := $(VENV)/.installed
DEMO_TODAY := 2026-11-26

.PHONY: install demo demo-reset test test-fast lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

## The daily batch on a copy of the sample workbook (outbox backend, fixed date).
## Run it twice: the second run sends nothing. `make demo-reset` starts over.
demo: $(STAMP)
	@if [ ! -f demo-out/receivables.xlsx ]; then \
		mkdir -p demo-out && cp sample_data/receivables.xlsx sample_data/xlsdun.toml demo-out/; \
	fi
	$(BIN)/xlsdun run --config demo-out/xlsdun.toml --today $(DEMO_TODAY)
	@echo ""
	@echo "Emails (.eml, open them in any mail client): demo-out/outbox/$(DEMO_TODAY)/"
	@echo "Updated workbook (open it in Excel/LibreOffice): demo-out/receivables.xlsx"
	@echo "Run 'make demo' again: nothing is sent twice. 'make demo-reset' starts over."

demo-reset:
	rm -rf demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests sample_data benchmarks
	$(BIN)/ruff format --check src tests sample_data benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests sample_data benchmarks
	$(BIN)/ruff check --fix src tests sample_data benchmarks

## The end-to-end, crash, lock and corpus tests once more with every Linux-only speed-up
## forced onto the portable path Windows and macOS take (src/xlsdun/speedups.py).
PORTABLE_TESTS := tests/test_cli_e2e.py tests/test_crash.py tests/test_writer_crash.py \
	tests/test_corpus_fidelity.py tests/test_runlock.py tests/test_replace_held.py \
	tests/test_output_encoding.py tests/test_speedups.py tests/test_paths.py

test: $(STAMP) lint
	$(BIN)/python -m pytest
	XLSDUN_PORTABLE=all $(BIN)/python -m pytest -q -p no:cacheprovider $(PORTABLE_TESTS)

## The quick loop while working: pytest without the tests marked slow (tests/conftest.py).
## `make test` (and CI) runs everything.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/speedups.py

clean:
	rm -rf $(VENV) demo-out build dist src/*.egg-info .pytest_cache .ruff_cache .mypy_cache
