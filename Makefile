# gongwen: make run | make test | make eval | make bench | make export | make clean
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= outputs
WORKERS ?= 0

.DELETE_ON_ERROR:
.PHONY: run test eval bench export clean

# The venv is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

# Incremental: gongwen skips inputs whose bytes, rules and version are unchanged.
run: $(STAMP)
	$(BIN)/gongwen run corpus -o $(OUT) --exclude 'gold/*'

test: $(STAMP)
	$(BIN)/python -m pytest -q -rs

eval: run
	$(BIN)/gongwen eval $(OUT) corpus/gold

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/gongwen bench

# The review site for archivists (docs/review.md): open outputs/review/index.html.
.PHONY: review
review: run
	$(BIN)/gongwen review $(OUT)

export: run
	$(BIN)/gongwen export $(OUT) --format csv -o $(OUT)/tables

clean:
	rm -rf $(OUT) $(VENV) build *.egg-info .pytest_cache .hypothesis bench-data
