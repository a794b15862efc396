# Two entry points, each doing all of its own set-up from a fresh clone:
#   make demo   - analyse a real clip (SOURCE=... to pick another input)
#   make test   - the test suite (what .ci/run calls)
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared)
SOURCE ?= $(SHARED)/videos/squat_side_barbell.mp4
OUT    ?= out

.PHONY: setup demo test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/posecheck record "$(SOURCE)" -o "$(OUT)/$(notdir $(basename $(SOURCE))).landmarks.jsonl"
	$(BIN)/posecheck replay "$(OUT)/$(notdir $(basename $(SOURCE))).landmarks.jsonl" | awk 'NR % 30 == 1'

test: $(STAMP)
	POSECHECK_SHARED="$(SHARED)" $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .cache .pytest_cache out
