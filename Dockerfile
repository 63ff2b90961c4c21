# syntax=docker/dockerfile:1
# holmes: multi-stage build. Dependencies come pinned and hashed from requirements.lock;
# the final image has no compiler, runs as a non-root user and serves the API by default.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/holmes
COPY requirements.lock ./
RUN /opt/holmes/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY holmes ./holmes
RUN /opt/holmes/bin/pip install --no-deps .

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="holmes" \
      org.opencontainers.image.description="Agentic troubleshooting for AI inference on Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/holmes/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOLMES_HOME=/usr/share/holmes \
    HOLMES_SERVICE__HOST=0.0.0.0 \
    HOLMES_SERVICE__DATA_DIR=/var/lib/holmes
RUN groupadd --system --gid 10001 holmes \
 && useradd --system --uid 10001 --gid holmes --home-dir /var/lib/holmes --shell /usr/sbin/nologin holmes \
 && mkdir -p /var/lib/holmes \
 && chown holmes:holmes /var/lib/holmes
COPY --from=build /opt/holmes /opt/holmes
COPY runbooks /usr/share/holmes/runbooks
COPY toolsets /usr/share/holmes/toolsets
COPY evals/incidents /usr/share/holmes/evals/incidents
USER 10001:10001
WORKDIR /var/lib/holmes
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["holmes"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
