# Data Import: local stack without Docker (see docs/local-stack.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTEST_ARGS ?=
UV ?= uv

# Ports of this stack (docs/local-stack.md). The clients run by make (demo, test, bench) get matching addresses,
# so a second stack beside the first only needs PGPORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT, SERVICE_PORT_OFFSET.
PGPORT ?= 5432
KAFKA_PORT ?= 9092
SERVICE_PORT_OFFSET ?= 0
export DATABASE_URL ?= postgresql://dataimport:dataimport@127.0.0.1:$(PGPORT)/dataimport
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)
export DATAIMPORT_API ?= http://127.0.0.1:$(shell echo $$((8080 + $(SERVICE_PORT_OFFSET))))

.PHONY: help install kafka-install ui up infra-up down status logs test demo bench clean

help:
	@echo "make install     uv sync + Kafka jars (Maven) + the web UI"
	@echo "make ui          build the web UI (ui/ -> ui/dist, served by job-api at /) when its sources changed"
	@echo "make up          start PostgreSQL, Kafka, migrate, topics, dev token, the services (background)"
	@echo "make infra-up    start PostgreSQL + Kafka only"
	@echo "make down        stop services, Kafka, PostgreSQL"
	@echo "make status      what runs"
	@echo "make logs        last lines of every log in .data/logs"
	@echo "make test        make up, then pytest (PYTEST_ARGS=...)"
	@echo "make demo        make up, then python -m dataimport.demo"
	@echo "make bench       scripts/bench.sh"
	@echo "make clean       make down, then remove .data (databases, Kafka data, logs)"

install: kafka-install ui
	@if [ -f uv.lock ]; then $(UV) sync --all-packages --frozen; else $(UV) sync --all-packages; fi

kafka-install:
	@scripts/kafka-install.sh

# The web UI: `npm ci` from the committed package-lock.json when it changed, a Vite build when a source changed.
UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package.json
ui: ui/dist/index.html

ui/node_modules/.package-lock.json: ui/package-lock.json
	@if ! command -v npm >/dev/null; then echo "make ui: npm not found (Node.js 20.19+ needed): the web UI is not built"; exit 0; fi; \
	  cd ui && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json

ui/dist/index.html: ui/node_modules/.package-lock.json $(UI_SOURCES)
	@if ! command -v npm >/dev/null; then exit 0; fi; \
	  echo "make ui: building the web UI"; cd ui && npm run --silent build -- --logLevel warn

.venv/bin/job-api:
	@$(MAKE) --no-print-directory install

up: .venv/bin/job-api ui
	@scripts/up.sh

infra-up:
	@scripts/up.sh --infra

down:
	@scripts/down.sh

status:
	@scripts/status.sh

logs:
	@for f in .data/logs/*.log; do [ -e "$$f" ] || continue; echo "===== $$f"; tail -n $${LINES:-30} "$$f"; done

test: up
	@$(UV) run pytest -q $(PYTEST_ARGS)

demo: up
	$(UV) run python -m dataimport.demo

bench:
	@if [ -x scripts/bench.sh ] || [ -f scripts/bench.sh ]; then bash scripts/bench.sh; else echo "scripts/bench.sh does not exist yet"; exit 1; fi

clean: down
	@scripts/pg.sh destroy 2>/dev/null || true
	rm -rf .data
