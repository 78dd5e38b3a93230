# syntax=docker/dockerfile:1
# modgate container image: a static binary on distroless, running as non-root.
#   docker build -t modgate:local .
#   docker run --rm -p 8080:8080 -e MODGATE_API_KEYS=t1=change-me modgate:local
# compose.yaml builds this image for every gateway replica. See
# docs/production.md for configuration.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first so the download layer is cached across source edits.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that needs no libc in the runtime image.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" \
        -o /out/modgate ./cmd/modgate \
 && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" \
        -o /out/healthcheck ./deploy/healthcheck \
 && mkdir -p /out/data

# distroless/static: CA certificates and tzdata, no shell, no package manager.
# The :nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/modgate /usr/local/bin/modgate
COPY --from=build /out/healthcheck /usr/local/bin/healthcheck
# The data directory holds the escalation spool (and the embedded NATS store
# when no MODGATE_NATS_URL is given); it must be writable by the non-root user.
COPY --from=build --chown=65532:65532 /out/data /var/lib/modgate
USER 65532:65532
ENV MODGATE_ADDR=:8080 \
    MODGATE_DATA_DIR=/var/lib/modgate \
    MODGATE_LOG_FORMAT=json
VOLUME ["/var/lib/modgate"]
EXPOSE 8080
# Liveness, not readiness: /healthz answers while the process serves, even
# when NATS is unreachable (screening goes on and escalations are spooled),
# so an orchestrator does not restart a gateway that is doing its job.
# distroless has no curl/wget: the probe is a tiny static Go binary.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/local/bin/modgate"]
CMD ["serve"]
