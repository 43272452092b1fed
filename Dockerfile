# syntax=docker/dockerfile:1
# One image for every role: `serve` (default), `worker`, `all`, `migrate`.
# TypeScript runs as is on Node 24 (type stripping): there is no compile step for the server.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN if [ -f scripts/build-web.ts ]; then node scripts/build-web.ts; else mkdir -p web/dist; fi

FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out the embedded PostgreSQL binaries: in a container, DATABASE_URL is set.
RUN npm install --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json .gmrc ./
COPY server ./server
COPY sql ./sql
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "server/main.ts"]
CMD ["serve"]
