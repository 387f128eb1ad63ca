# One image for every Một Cửa service: `motcua serve <service>` picks which.
# The default target (the last stage, `production`) installs only the motcua
# distribution (shared, services): the development tools (devtools: simulators, the
# example department system) are in the `devtools` stage alone, which
# docker-compose.yml builds for its carrier and SMS gateway simulators.
FROM python:3.11-slim AS base
WORKDIR /app
COPY requirements-runtime.lock pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
# the locked versions of every dependency, then motcua itself
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock \
    && pip install --no-cache-dir --no-deps .
# A container listens on its own interface; the image is never in development mode
# (so `motcua up`, the default command, needs real secrets here too).
ENV MOTCUA_BIND=0.0.0.0 MOTCUA_ENV=production
ENTRYPOINT ["motcua"]
CMD ["up"]

FROM base AS devtools
COPY devtools ./devtools
RUN pip install --no-cache-dir --no-deps ./devtools

FROM base AS production
