# Một Cửa: the entry points the README names.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# extra arguments for pytest in `make test`, `make test-unit` and `make coverage`, e.g. PYTEST_ARGS="-x -k sms"
PYTEST_ARGS ?=
# A pytest that selected nothing (PYTEST_ARGS="-k sms" finds no fault test) is no failure.
NONE_SELECTED_OK := || [ $$? -eq 5 ]

# Without a Docker engine (testcontainers), the tests use the local RabbitMQ and
# PostgreSQL unless told otherwise.
ifeq ($(shell docker info >/dev/null 2>&1 && echo yes),)
export MOTCUA_TEST_AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672/
export MOTCUA_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
endif

# The unit tier is given a broker and a database where nothing listens (port 9, discard):
# a test there that needs a server stops the run (exit 3) instead of finding one.
NO_SERVERS := MOTCUA_TEST_AMQP_URI=amqp://guest:guest@127.0.0.1:9/ \
	MOTCUA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:9/postgres

.PHONY: install run test test-unit test-fast coverage lint format lock fuzz bench help

help:
	@echo "make install    create $(VENV) with the locked dependencies (requirements.lock), Một Cửa and its devtools"
	@echo "make run        run every service (and the web screens) with local defaults in development mode (motcua up)"
	@echo "make test       the unit tier; the browser tests (Chromium) beside the other tests against a real RabbitMQ and PostgreSQL; the fault tests last"
	@echo "make test-unit  the unit tier (tests/unit): rules on fake repositories, no broker, no database"
	@echo "make test-fast  the unit tier, then the rest without the slow fault tests"
	@echo "make coverage   the whole suite under coverage (services started as processes included); prints the total"
	@echo "make lint       ruff (lint and format check) and mypy, as .ci/run does"
	@echo "make format     apply ruff's fixes and format the code"
	@echo "make lock       recompute requirements.lock and requirements-runtime.lock from pyproject.toml"
	@echo "make fuzz       schemathesis against every service's /openapi.json, many more examples (FUZZ_EXAMPLES)"
	@echo "make bench      run the benchmarks (figures beside a baseline of the same run)"

install: $(VENV)/.installed

# Every transitive dependency at its locked version (with hashes), then the two
# distributions of this repository, editable and without resolving anything again.
$(VENV)/.installed: pyproject.toml devtools/pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e . -e ./devtools
	touch $@

run: install
	$(BIN)/motcua up

test-unit: install
	$(NO_SERVERS) $(BIN)/pytest tests/unit $(PYTEST_ARGS) $(NONE_SELECTED_OK)

# The web screens in a real browser run in a pytest of their own, without eventlet
# (tests/conftest.py): Playwright's loop needs real sockets.
WEB_TESTS := MOTCUA_TEST_EVENTLET=0 $(BIN)/pytest tests/web

REST_TESTS := $(BIN)/pytest --ignore=tests/unit --ignore=tests/web

# The browser tests run beside the integration and end-to-end tests: each pytest has
# its own virtual host and databases, and the two mostly wait on different things
# (Chromium, the services). The browser's report is kept in var/test-web.log and
# printed when both are done. The fault tests restart RabbitMQ and PostgreSQL under
# everything, so they run last, alone.
BESIDE_THE_BROWSER = mkdir -p var; echo "the browser tests run beside these; their report follows at the end (var/test-web.log)"; \
	($(WEB_TESTS) $(1) $(PYTEST_ARGS) $(NONE_SELECTED_OK)) > var/test-web.log 2>&1 & web=$$!; \
	trap 'kill $$web 2>/dev/null' INT TERM; \
	$(REST_TESTS) -m "not slow" $(PYTEST_ARGS) $(NONE_SELECTED_OK); rest=$$?; \
	wait $$web; browser=$$?; echo "--- the browser tests (tests/web) ---"; cat var/test-web.log; \
	[ $$rest -eq 0 ] && [ $$browser -eq 0 ]

test: test-unit
	@$(call BESIDE_THE_BROWSER,)
	$(REST_TESTS) -m slow $(PYTEST_ARGS) $(NONE_SELECTED_OK)

test-fast: test-unit
	@$(call BESIDE_THE_BROWSER,-m "not slow")

# Child processes (`python -m shared.cli serve ...`) are measured too: coverage's
# subprocess patch (pyproject.toml, [tool.coverage.run]).
# Coverage imports eventlet in every child before our own code silences its
# deprecation notice; the notice would land in the services' logs.
coverage: install
	rm -f .coverage .coverage.*
	PYTHONWARNINGS="ignore::Warning:coverage.collector" $(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# requirements.lock: runtime, test, dev and bench extras (make install);
# requirements-runtime.lock: the runtime alone at the same versions (the Dockerfile).
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --strip-extras
lock:  # pip-compile comes with `make install` (dev extra)
	$(LOCK) --extra test --extra dev --extra bench --output-file requirements.lock pyproject.toml
	$(LOCK) --constraint requirements.lock --output-file requirements-runtime.lock pyproject.toml

# The suite's fuzz test (tests/security/test_fuzz.py) with many more generated requests per operation.
FUZZ_EXAMPLES ?= 500
fuzz: install
	MOTCUA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/security/test_fuzz.py tests/unit/test_openapi.py

bench: install
	$(BIN)/python -m bench.lifecycle --profile notify
	$(BIN)/python -m bench.outbox_relay
	$(BIN)/python -m bench.statements
	$(BIN)/python -m bench.intake_submit
	$(BIN)/python -m bench.intake_lookup
	$(BIN)/python -m bench.files
	$(BIN)/python -m bench.processing_queues
	$(BIN)/python -m bench.notify_sms
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.web
