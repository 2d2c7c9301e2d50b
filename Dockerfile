# syntax=docker/dockerfile:1
# The detente gRPC service. Build: docker build -t detente . ; run: docker compose up (README, "Container").
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile dist --locked -p detente-server \
 && install -D target/dist/detente /out/detente \
 && install -d -o 65532 -g 65532 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /out/detente /usr/local/bin/detente
COPY --from=builder --chown=65532:65532 /out/data /data
ENV DETENTE_ADDR=0.0.0.0:50051 \
    DETENTE_DATA=/data \
    DETENTE_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 50051
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/detente", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/detente"]
CMD ["serve"]
