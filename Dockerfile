# netmon container image. Build: docker build -t netmon .
# Runtime needs libpcap and, for live capture, CAP_NET_RAW (+ CAP_NET_ADMIN for promiscuous mode).

FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap-dev build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# The cap addon compiles here; postinstall applies patches/ and rebuilds it.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
# The build ends by making the CLI's V8 code cache (scripts/build-code-cache.js).
COPY scripts/build-code-cache.js scripts/build-web.js ./scripts/
# The status page's assets (bundled into dist/bundle/web by the build).
COPY web ./web
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/bin ./bin
COPY config.yaml /etc/netmon/config.yaml
EXPOSE 10847
ENTRYPOINT ["node", "/app/bin/netmon.js"]
CMD ["run", "--config", "/etc/netmon/config.yaml"]
