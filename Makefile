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

# Also the publishers' metadata records of ../shared/corpus-public (issue 13), when present:
# its outputs go to $(OUT)-public (incremental, like run).
PUBLIC ?= ../shared/corpus-public
eval: run
	$(BIN)/gongwen eval $(OUT) corpus/gold
	@if [ -d $(PUBLIC) ]; then \
	  $(BIN)/gongwen run $(PUBLIC) -o $(OUT)-public --quiet || [ $$? -eq 3 ]; \
	  $(BIN)/gongwen eval $(OUT)-public corpus/gold --records $(PUBLIC) --brief | sed -n '/^publisher records/,$$p'; \
	else echo "make eval: $(PUBLIC) is absent: publisher-records scores skipped"; fi

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
	rm -rf $(OUT) $(OUT)-public $(VENV) build *.egg-info .pytest_cache .hypothesis bench-data
