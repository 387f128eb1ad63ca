# One image for every Một Cửa service: `motcua serve <service>` picks which.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .
# A container listens on its own interface; the image is never in development mode
# (so `motcua up`, the default command, needs real secrets here too).
ENV MOTCUA_BIND=0.0.0.0 MOTCUA_ENV=production
ENTRYPOINT ["motcua"]
CMD ["up"]
