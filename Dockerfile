# The canceller worker, built from this repository: `node dist/src/temporal/worker-main.js`. The same image runs the
# CLI (`node dist/src/cli/main.js ...`), e.g. the Google emulator in docker-compose.yml's demo profile.
#
#   docker build -t temporal-gcp-lro .
#   docker run --rm -e TEMPORAL_ADDRESS=host:7233 temporal-gcp-lro

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY src ./src
COPY workflows ./workflows
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The worker loads dist/workflow-bundle.js, which the build wrote (no webpack at start-up); the runtime needs
# node_modules but nothing that the build alone used.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# LRO_METRICS_BIND=0.0.0.0:9464 serves Prometheus metrics here.
EXPOSE 9464
CMD ["node", "dist/src/temporal/worker-main.js"]
