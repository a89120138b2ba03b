# Every target bootstraps .venv when it is missing, so a fresh clone needs only python3, make and apt.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: setup test report app bench lint sample clean browser java

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium renders PDFs and drives the browser tests; Playwright's own download is not used.
# Noto CJK gives it letters for names in Chinese, Japanese and Korean, Noto Color Emoji
# the emoji of tag values (else boxes).
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium (browser tests, PDF)"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq chromium) >/dev/null; }
	@fc-list :lang=ja 2>/dev/null | grep -q . || { echo "installing Debian's Noto CJK fonts (names in Chinese, Japanese, Korean)"; \
	  (apt-get install -y -qq fonts-noto-cjk || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk) || \
	   sudo apt-get install -y -qq fonts-noto-cjk) >/dev/null 2>&1 || \
	  echo "could not install fonts-noto-cjk: names in those scripts print as boxes"; }
	@fc-list 2>/dev/null | grep -qi emoji || { echo "installing Debian's Noto Color Emoji (emoji in tag values)"; \
	  (apt-get install -y -qq fonts-noto-color-emoji || (apt-get update -qq && apt-get install -y -qq fonts-noto-color-emoji) || \
	   sudo apt-get install -y -qq fonts-noto-color-emoji) >/dev/null 2>&1 || \
	  echo "could not install fonts-noto-color-emoji: emoji print as boxes"; }

# Spark (local mode) runs the analysis queries in the portability test; it needs a JRE.
java:
	@command -v java >/dev/null || { echo "installing Debian's default JRE (Spark portability test)"; \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless) >/dev/null || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless) >/dev/null; }

test: setup browser java
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	$(BIN)/python -m pytest --nbval-lax notebooks

report: setup browser
	$(BIN)/workbench report

app: setup
	$(BIN)/workbench app

bench: setup
	$(BIN)/python -m benchmarks.run

lint: setup
	$(BIN)/ruff check workbench tests benchmarks

sample: setup
	$(BIN)/workbench sample

clean:
	rm -rf $(VENV) reports/*/ data/*.duckdb data/*.duckdb.wal data/*.duckdb.old data/*.lock data/.duckdb_tmp data/bench
