# syntax=docker/dockerfile:1
# The mdsp image: one binary for every stage (`mdsp up | ingest | process |
# serve | backfill ...`), running as a non-root user with its data under
# /var/lib/mdsp.
#
#   docker build -t mdsp:latest .          # or: buildah bud -t mdsp:latest .
#   docker run --rm -p 8080:8080 mdsp:latest up --http 0.0.0.0:8080
#
# Build stage: Debian 12 with the project's own setup script (--build-only).
# Runtime stage: Debian 12 slim with only the shared libraries the binary
# links (found with ldd in the build stage), curl for the health check and
# the CA certificates for the live feeds.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/setup scripts/setup
COPY web/package.json web/package-lock.json web/
# (setup runs apt-get update itself before installing)
RUN DEBIAN_FRONTEND=noninteractive scripts/setup --build-only \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build \
    && cmake --preset release -DMDSP_BUILD_TESTS=OFF -DMDSP_BUILD_BENCH=OFF \
    && cmake --build --preset release --target mdsp \
    && strip -o /mdsp build/release/src/app/mdsp
# The Debian packages of the shared libraries mdsp links, for the runtime stage.
RUN for f in $(ldd /mdsp | awk '/=> \//{print $3}'); do \
      dpkg -S "$f" 2>/dev/null || dpkg -S "$(readlink -f "$f")" 2>/dev/null || dpkg -S "${f#/usr}"; \
    done | cut -d: -f1 | sort -u > /runtime-packages \
    && cat /runtime-packages

FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="mdsp" \
      org.opencontainers.image.description="MarketDataStreamPipeline: a real-time market-data pipeline, ticks in, exact candles out" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="NOASSERTION"
COPY --from=build /runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive xargs -a /tmp/runtime-packages apt-get install -y -qq --no-install-recommends \
       ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && groupadd --system --gid 10001 mdsp \
    && useradd --system --uid 10001 --gid mdsp --home-dir /var/lib/mdsp --shell /usr/sbin/nologin mdsp \
    && install -d -o mdsp -g mdsp -m 0750 /var/lib/mdsp
COPY --from=build /mdsp /usr/local/bin/mdsp
USER 10001:10001
WORKDIR /var/lib/mdsp
ENV MDSP_DATA_DIR=/var/lib/mdsp
VOLUME ["/var/lib/mdsp"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["mdsp"]
CMD ["up", "--http", "0.0.0.0:8080"]
