# Two entry points, each doing all of its own set-up from a fresh clone:
#   make demo   - check form on a real clip (SOURCE=clip.mp4 EXERCISE=squat to pick)
#   make test   - the test suite (what .ci/run calls)
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared)
SOURCE   ?= $(SHARED)/videos/squat_side_forward_lean.mp4
EXERCISE ?= squat

.PHONY: setup demo test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1
	$(BIN)/python -m pip install -e ".[dev,ray]" >> $(VENV)/install.log 2>&1 || (tail -30 $(VENV)/install.log; exit 1)
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	@test -e "$(SOURCE)" || { echo "make demo: no clip at $(SOURCE): pass SHARED=/path/to/shared (the folder holding videos/) or SOURCE=clip.mp4"; exit 2; }
	$(BIN)/posecheck analyze "$(SOURCE)" --exercise $(EXERCISE)

# The real-browser tests drive Debian's chromium (Playwright's own download cannot work offline).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null

# The in-browser pose runtime (MediaPipe's WASM, from the npm registry, checked): the
# browser tests run pose in the page as well as on the server. Quick when already there.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/posecheck models install web
	POSECHECK_SHARED="$(SHARED)" $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .cache .pytest_cache out
