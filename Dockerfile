# Firebell: slim image, non-root, SQLite data on a volume, migrations then serve.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/firebell.db \
    FIREBELL_CONFIG=/app/config/firebell.yml \
    PORT=3000

WORKDIR /app
# the dependencies at the versions requirements.lock pins (`make lock`), in a layer of their
# own that a change to the code does not rebuild; then Firebell itself, adding nothing
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps . \
    && pip check \
    && useradd --create-home --uid 10001 firebell \
    && mkdir -p /data /app/config \
    && chown firebell /data
COPY config/firebell.example.yml config/sandbox.yml ./config/

USER firebell
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
CMD ["sh", "-c", "firebell migrate && exec firebell serve"]
