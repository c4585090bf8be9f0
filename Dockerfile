# Achyk: a production image. Build: docker build -t achyk .
# Run:  docker run -e DATABASE_URL=postgresql+asyncpg://user:pass@db/achyk -e ACHYK_SECRET_KEY=... \
#         -e ACHYK_LEDGER_SIGNING_KEY=... -e ACHYK_LEDGER_PSEUDONYM_KEY=... -e ACHYK_LEDGER_ORIGIN=... -p 8000:8000 achyk
# (on PostgreSQL the keys are required and the same on every host: see the README's Configuration)

# Front-end assets from the npm registry, at the versions pinned in package-lock.json.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# The edwards25519 arithmetic of @noble/curves, bundled into one module as scripts/bootstrap does.
COPY web/assets ./web/assets
RUN node_modules/.bin/esbuild web/assets/group.js --bundle --format=esm --minify --legal-comments=inline \
      --log-level=warning --outfile=noble-ed25519.js

# Python wheels, built once with the compiler toolchain that the final image does not carry. Every file pip
# downloads is checked against the hashes of requirements/lock-prod.txt: the image holds exactly the audited
# packages, and the project's own wheel is built with the locked setuptools and adds nothing to them.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY requirements/lock-prod.txt requirements/
RUN pip wheel --no-cache-dir --require-hashes --no-deps --wheel-dir /wheels -r requirements/lock-prod.txt \
 && pip install --no-cache-dir --no-index --no-deps /wheels/setuptools-*.whl
COPY pyproject.toml README.md ./
COPY auction ./auction
COPY web ./web
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js web/static/vendor/htmx.min.js
COPY --from=assets /src/node_modules/htmx-ext-sse/dist/sse.min.js web/static/vendor/htmx-sse.min.js
COPY --from=assets /src/noble-ed25519.js web/static/vendor/noble-ed25519.js
# The ky/ru/en catalogs: the .po files are the source, the compiled .mo files are not committed.
RUN pip install --no-cache-dir --no-index --no-deps /wheels/babel-*.whl \
 && pybabel compile --domain messages --directory web/locale
RUN pip wheel --no-cache-dir --no-index --no-deps --no-build-isolation --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ACHYK_DATA_DIR=/var/lib/achyk
RUN useradd --system --create-home --home-dir /var/lib/achyk --uid 10001 achyk
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && rm -rf /wheels
USER achyk
WORKDIR /var/lib/achyk
EXPOSE 8000
# Against PostgreSQL, run 'auction db upgrade' once (e.g. as a release job) before starting new versions.
# The same image runs an independent witness: docker run … IMAGE witness serve --dir /var/lib/achyk/witness
#   --name witness.example.kg --log <the log vkey> --host 0.0.0.0 --port 7380 (keep /var/lib/achyk/witness on a volume).
ENTRYPOINT ["auction"]
# uvicorn on uvloop and httptools (wheels in the lock), each worker on its own socket of the port's SO_REUSEPORT
# group (web/serving.py): one worker per core; SIGTERM (docker stop) lets requests in flight finish.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
