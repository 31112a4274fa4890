# Sightline server image: docker build -t sightline . && docker run -p 3000:3000 -v sightline-data:/data sightline
# Build stage: dependencies (better-sqlite3 compiled from source against this Node's own headers, so
# nothing is downloaded beyond the npm registry and Debian packages), the build, then production deps only.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local npm_config_build_from_source=true
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/agent/package.json packages/agent/
COPY packages/server/package.json packages/server/
COPY packages/server/bin packages/server/bin
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages/agent packages/agent
COPY packages/server packages/server
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf packages/*/src packages/*/test bench

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 SIGHTLINE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The same `sightline serve` the tests run; SIGTERM drains requests and closes the database.
ENTRYPOINT ["node", "/app/packages/server/bin/sightline.js"]
CMD ["serve"]
