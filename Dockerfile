# netmon container image.
#   docker build -t netmon:0.1.0 .
#   docker run --rm --network host --cap-drop ALL --cap-add NET_RAW --read-only netmon:0.1.0
# Live capture needs CAP_NET_RAW only (promiscuous mode included) and the host's network namespace;
# README "Container image" and docs/kubernetes.md say more. test/deploy/dockerfile.test.ts checks
# this file's structure (no Docker engine runs in the tests).

# Build stage: compiler, Python (node-gyp) and libpcap headers build the patched cap addon
# (postinstall applies patches/ and rebuilds it), then the TypeScript, the bundle and its V8 code cache.
FROM node:26-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap-dev build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/build-code-cache.js scripts/build-web.js scripts/strip-export-init.js ./scripts/
# The status page's assets (bundled into dist/bundle/web by the build).
COPY web ./web
# The code cache is made here by the same Node.js as the final stage's (same base image), so it is
# valid at run time and nothing is written then. Then: production dependencies only, and of the
# cap addon only its JavaScript and the built cap.node (no C++ sources, build tree or tests).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/cap \
 && mv build/Release/cap.node /tmp/cap.node \
 && rm -rf build deps src test binding.gyp appveyor.yml \
 && mkdir -p build/Release \
 && mv /tmp/cap.node build/Release/cap.node

# Final stage: the same Node.js, the libpcap runtime library, the bundle and production dependencies.
FROM node:26-bookworm-slim
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="netmon" \
      org.opencontainers.image.description="Network traffic monitor for Prometheus: libpcap capture, exact per-flow counters on /metrics" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}"
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/bin ./bin
COPY config.yaml /etc/netmon/config.yaml
# UID 0 so that the capabilities the runtime grants (docker --cap-add, a pod's capabilities.add)
# are effective without file capabilities, which no_new_privs ignores; drop all others at run time.
USER 0:0
EXPOSE 10847
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:10847/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/netmon.js"]
CMD ["run", "--config", "/etc/netmon/config.yaml"]
