# The commands contributors and CI share.  `make run` and `make test` are the README's two.
.PHONY: run test check bench web gen-client e2e clean

run:    ## install into .venv, load demo runs, serve on http://127.0.0.1:5000, print a login link
	scripts/run.sh

test:   ## install, start PostgreSQL, lint, type-check and run the whole test suite
	scripts/test.sh

check:  ## lint and type-check only
	.venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests && .venv/bin/mypy && .venv/bin/lint-imports

web:    ## build the UI into the Python package (src/labledger/server/static)
	scripts/build-web.sh

gen-client:  ## regenerate web/openapi.json and the typed TypeScript client from the server
	.venv/bin/python -m labledger.server.openapi web/openapi.json && cd web && npm run gen-client

e2e:    ## only the browser tests (needs a built UI and /usr/bin/chromium)
	.venv/bin/python -m pytest tests/e2e -q

# Not bench.soak: 10 minutes of steady ingest watching the server's RSS; run it on its own.
bench:  ## every benchmark against its peer (installs MLflow into a cache virtualenv)
	for b in import_time logging search concurrency ui artifacts capture load oversized datasets registry mlflow_clients; do .venv/bin/python -m bench.$$b || exit 1; done

clean:
	rm -rf .venv .labledger .labledger-demo .pytest_cache .mypy_cache .ruff_cache
