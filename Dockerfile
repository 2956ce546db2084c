# The service image for docker-compose.yml. UNTESTED here: these machines have no Docker (see README, "Deploying
# at scale"). Everything is installed at build time; the container downloads nothing at run time.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY qa qa
COPY api api
COPY eval eval
COPY demo demo
RUN pip install --no-cache-dir ".[postgres]"
ENV QA_DATA_DIR=/data
EXPOSE 8000
CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000"]
