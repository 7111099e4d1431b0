# vetbox API and worker image, for deployment on a machine with internet access
# (docker-compose.yml). Locally, `npm run setup` runs everything without containers.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 \
    PRISMA_SKIP_POSTINSTALL_GENERATE=1 \
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/false \
    PRISMA_QUERY_ENGINE_LIBRARY=/bin/false
COPY . .
RUN npm ci --no-audit --no-fund \
 && node scripts/prisma.mjs generate \
 && npx turbo run build --filter=@vetbox/api... --filter=@vetbox/worker... --filter=vetbox... --filter=@vetbox/web \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/vetbox
COPY --from=build /app /app
RUN mkdir -p /var/lib/vetbox && chown node:node /var/lib/vetbox
# The API runs unprivileged; the worker service overrides the user (it holds the Docker socket).
USER node
EXPOSE 3000
CMD ["node", "api/dist/main.js"]
