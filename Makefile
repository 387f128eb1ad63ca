# Một Cửa: the entry points the README names.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Without a Docker engine (testcontainers), the tests use the local RabbitMQ and
# PostgreSQL unless told otherwise.
ifeq ($(shell docker info >/dev/null 2>&1 && echo yes),)
export MOTCUA_TEST_AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672/
export MOTCUA_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
endif

.PHONY: install run test test-fast fuzz bench help

help:
	@echo "make install    create $(VENV) and install Một Cửa with its pinned dependencies"
	@echo "make run        run all four services with local defaults in development mode (motcua up)"
	@echo "make test       run the whole test suite against a real RabbitMQ and PostgreSQL"
	@echo "make test-fast  the suite without the slow fault tests"
	@echo "make fuzz       schemathesis against every service's /openapi.json, many more examples (FUZZ_EXAMPLES)"
	@echo "make bench      run the benchmarks (figures beside a baseline of the same run)"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: install
	$(BIN)/motcua up

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

# The suite's fuzz test (tests/security/test_fuzz.py) with many more generated requests per operation.
FUZZ_EXAMPLES ?= 500
fuzz: install
	MOTCUA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/security/test_fuzz.py tests/unit/test_openapi.py

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

bench: install $(VENV)/.bench-installed
	$(BIN)/python -m bench.lifecycle --profile notify
	$(BIN)/python -m bench.outbox_relay
	$(BIN)/python -m bench.intake_submit
	$(BIN)/python -m bench.intake_lookup
	$(BIN)/python -m bench.processing_queues
	$(BIN)/python -m bench.notify_sms
