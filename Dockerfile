# syntax=docker/dockerfile:1
# One image for every role: `serve` (default), `worker`, `all`, `migrate`.
# The server is bundled into one JavaScript file (dist/flagmeter.mjs, npm packages external): Node
# would run server/main.ts as is, but type stripping keeps its transpiler in memory (~30 MB RSS).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/build-web.ts && node scripts/build-server.ts

FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out the embedded PostgreSQL binaries: in a container, DATABASE_URL is set.
RUN npm install --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 METRICS_PORT=9464
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json .gmrc ./
COPY --from=build /app/dist ./dist
COPY sql ./sql
# the common passwords the password policy refuses (read at run time, not bundled)
COPY server/people/common-passwords.txt ./server/people/common-passwords.txt
COPY --from=build /app/web/dist ./web/dist
USER node
# 3000: the API (serve, all); 9464: /metrics and /api/health of the worker, which serves no API
EXPOSE 3000 9464
# The API's /api/health; when nothing listens on PORT (the worker role), the worker's on METRICS_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "const h=(p)=>fetch('http://127.0.0.1:'+p+'/api/health').then((r)=>r.ok);h(process.env.PORT||3000).catch(()=>h(process.env.METRICS_PORT||9464)).then((ok)=>process.exit(ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/flagmeter.mjs"]
CMD ["serve"]
