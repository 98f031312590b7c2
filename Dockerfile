# syntax=docker/dockerfile:1.7
# Sift production image. Two stages: `build` compiles TypeScript with every dependency, bundles the application
# (scripts/image/bundle.ts) and lays out the runtime's root filesystem (scripts/image/make-rootfs.sh); `runtime`
# starts from scratch, without a distribution: node and the shared libraries it links, CA certificates, the bundle
# in dist/, the few packages that cannot be bundled in node_modules/, the sample data and package.json, run as an
# unprivileged user. There is no shell, package manager or npm in it.
#
#   docker build -t sift:$(git describe --tags --always) .
#   docker run --rm -p 8000:8000 -e JWT_SECRET=$(openssl rand -hex 32) sift:...
#
# The base image is pinned to an exact release; bump it deliberately (and keep `engines.node` in step). Only the
# build stage runs in it; node and its libraries are copied from it.
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 is native (a compiler); ca-certificates because the official slim image has no CA bundle to ship.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
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
# The application as the runtime carries it, in /bundle: dist/bin/sift.js and its reader thread, dist/page/, and
# node_modules/ with only the native and file-reading packages left out of the bundle.
COPY scripts/image/bundle.ts scripts/image/runtime-modules.ts ./scripts/image/
RUN npx tsx scripts/image/bundle.ts /bundle
# Node and what it, better-sqlite3 and sqlite-vec link, in /image/rootfs; the data directory in /image/owned.
COPY scripts/image/make-rootfs.sh ./scripts/image/
RUN bash scripts/image/make-rootfs.sh /image /usr/local/bin/node \
  /bundle/node_modules/better-sqlite3/build/Release/better_sqlite3.node \
  /bundle/node_modules/sqlite-vec-linux-x64/vec0.so

FROM scratch AS runtime
COPY --from=build /image/rootfs/ /
# The data directory is the one place the service user may write (besides /tmp): copied as an entry of /var/lib,
# so the ownership applies to the directory itself.
COPY --from=build --chown=1000:1000 /image/owned/ /var/lib/
ENV PATH=/usr/local/bin \
  NODE_ENV=production \
  ENVIRONMENT=production \
  HOST=0.0.0.0 \
  PORT=8000 \
  LOG_FORMAT=json \
  DATA_DIR=/var/lib/sift
WORKDIR /app
# Files stay owned by root so the service user cannot rewrite its own code; only DATA_DIR is writable.
COPY --from=build /bundle/ ./
COPY package.json ./
COPY data/sample ./data/sample
VOLUME ["/var/lib/sift"]
# The user /etc/passwd names `node` (as in the official image), by number so Kubernetes can verify runAsNonRoot
# without resolving names.
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
