# make run  : install what is missing, then run the pipeline on samples/ into out/
# make test : same set-up, then the lint gates and the whole test suite
# make lint : ruff and mypy as configured in pyproject.toml
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
APT_PKGS := tesseract-ocr tesseract-ocr-vie poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint system-deps browser-deps bench dictionaries clean

run: system-deps $(STAMP)
	$(BIN)/vnplans run samples -o out

test: lint system-deps browser-deps $(STAMP)
	$(BIN)/python -m pytest

# Quality gates (CI runs them through `make test`): ruff and mypy as configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Debian packages, installed only when a piece is missing.
system-deps:
	@if ! command -v tesseract >/dev/null 2>&1 \
	   || ! tesseract --list-langs 2>/dev/null | grep -qx vie \
	   || ! command -v pdftoppm >/dev/null 2>&1 \
	   || ! command -v pdftotext >/dev/null 2>&1; then \
	  echo "installing $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS); \
	fi

# Headless Chromium for the report/review browser tests (tests/test_browser.py), only for tests;
# where it cannot be installed those tests are skipped with the reason.
BROWSER_PKGS := chromium chromium-driver
browser-deps:
	@if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_PKGS) (browser tests)"; \
	  ( $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BROWSER_PKGS) ) \
	  || echo "could not install $(BROWSER_PKGS): the browser tests will be skipped"; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

bench: system-deps $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/restore_bench.py
	$(BIN)/python bench/ocr_bench.py
	$(BIN)/python bench/memory_bench.py
	$(BIN)/python bench/heldout_bench.py
	$(BIN)/python bench/fields_bench.py
	$(BIN)/python bench/kinds_bench.py

# Rebuild dictionaries/ from ../shared/corpus (see dictionaries/README.md).
dictionaries: $(STAMP)
	$(BIN)/python scripts/build_dictionaries.py

clean:
	rm -rf out .pytest_cache
