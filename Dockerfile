# One image for every Một Cửa service: `motcua serve <service>` picks which.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .
ENV MOTCUA_BIND=0.0.0.0
ENTRYPOINT ["motcua"]
CMD ["up"]
