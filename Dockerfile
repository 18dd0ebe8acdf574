# syntax=docker/dockerfile:1
#
# Marque's container image: `docker build -t marque:0.1.0 .`
#
# Two stages: the builder compiles the release binary (protobufs are compiled by protox inside
# build.rs, so no protoc is needed); the runtime image is distroless, with glibc, libgcc and CA
# certificates and nothing else: no shell, no package manager. It runs as uid/gid 10001, the same
# as the Helm chart's securityContext (helm/marque/values.yaml), and needs no writable path but
# /tmp, which the chart mounts as an emptyDir under a read-only root filesystem.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and incremental artifacts between builds (BuildKit);
# the binary is copied out because a cache mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/marque /usr/local/bin/marque

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="marque" \
      org.opencontainers.image.description="Brand registry for anti-counterfeiting alliances, over gRPC" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /usr/local/bin/marque /marque
USER 10001:10001
# 50051: the gRPC API (TLS unless --plaintext). 9090: the plaintext admin port, grpc.health.v1
# for Kubernetes probes and HTTP /metrics.
EXPOSE 50051 9090
ENTRYPOINT ["/marque"]
# Flags override MARQUE_* variables: the Helm chart runs plain `serve` and sets everything through
# the environment. Without TLS files the server refuses plaintext off loopback, so a bare
# `docker run` needs -e MARQUE_PLAINTEXT=true, or MARQUE_TLS_CERT/MARQUE_TLS_KEY and a volume.
CMD ["serve", "--listen", "0.0.0.0:50051", "--admin-listen", "0.0.0.0:9090"]
