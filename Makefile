# `make run` and `make test` are all a newcomer needs: each creates .venv and installs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test check bench bench-smoke clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(BIN)/botbus serve

# The same end-to-end suites again with every test server's log in PostgreSQL (a throwaway
# cluster of the tests' own, tests/postgres.py): the core flows of each dialect (sending, long
# polling, webhooks, the gateway, restarts and crashes), about 4 minutes on 2 cores.
POSTGRES_SUITES := tests/e2e/test_featherchat_bots.py tests/e2e/test_featherchat_users.py \
	tests/e2e/test_live_sockets.py tests/e2e/test_crash.py \
	tests/telegram/test_surface_updates.py tests/telegram/test_webhooks.py tests/telegram/test_ptb.py \
	tests/botyard/test_routes.py tests/botyard/test_webhooks.py tests/botyard/test_sessions.py \
	tests/maxchat/test_gateway.py tests/maxchat/test_bot_routes.py

test: $(STAMP)
	$(BIN)/python -m pytest
	BOTBUS_TEST_POSTGRES=1 $(BIN)/python -m pytest -q $(POSTGRES_SUITES)

check: $(STAMP)
	$(BIN)/python -m ruff check domain projections api replay bench tests
	$(BIN)/python -m mypy domain projections api replay

bench: $(STAMP)
	$(BIN)/python -m bench.append_ceiling
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench.rebuild_rate
	$(BIN)/python -m bench.echo_vs_peer
	$(BIN)/python -m bench.echo_vs_peer --mode telegram
	$(BIN)/python -m bench.webhook_delivery
	$(BIN)/python -m bench.botyard
	$(BIN)/python -m bench.gateway
	$(BIN)/python -m bench.scaleout

bench-smoke: $(STAMP)
	$(BIN)/python -m bench.append_ceiling --smoke
	$(BIN)/python -m bench.end_to_end --smoke
	$(BIN)/python -m bench.rebuild_rate --smoke
	$(BIN)/python -m bench.echo_vs_peer --smoke
	$(BIN)/python -m bench.echo_vs_peer --smoke --mode telegram
	$(BIN)/python -m bench.webhook_delivery --smoke
	$(BIN)/python -m bench.botyard --smoke
	$(BIN)/python -m bench.gateway --smoke
	$(BIN)/python -m bench.scaleout --smoke

clean:
	rm -rf $(VENV) data
