# syntax=docker/dockerfile:1.7
# Sift production image. Three stages: `build` compiles TypeScript with every dependency, `prod-deps` installs the
# production dependencies only (better-sqlite3 is native, so both need a compiler), and `runtime` carries just
# dist/, the production node_modules, the bundled sample data and package.json, running as an unprivileged user.
#
#   docker build -t sift:$(git describe --tags --always) .
#   docker run --rm -p 8000:8000 -e JWT_SECRET=$(openssl rand -hex 32) sift:...
#
# The base image is pinned to an exact release; bump it deliberately (and keep `engines.node` in step).
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# `npm run build` compiles, then bundles the pages (src/page/: search and analytics) into dist/page/ with this script.
COPY scripts/build-page.ts ./scripts/build-page.ts
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  ENVIRONMENT=production \
  HOST=0.0.0.0 \
  PORT=8000 \
  LOG_FORMAT=json \
  DATA_DIR=/var/lib/sift
WORKDIR /app
# Files stay owned by root so the service user cannot rewrite its own code; only DATA_DIR is writable.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY data/sample ./data/sample
RUN mkdir -p /var/lib/sift && chown 1000:1000 /var/lib/sift
VOLUME ["/var/lib/sift"]
# The base image's `node` user, by number so Kubernetes can verify runAsNonRoot without resolving names.
USER 1000:1000
EXPOSE 8000
# No curl in the image: Node's own fetch asks the readiness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Sift itself is PID 1 (exec form, no shell in between): it receives SIGTERM, turns readiness to 503, drains
# in-flight requests and exits within SHUTDOWN_GRACE_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/sift.js"]
CMD ["serve"]
