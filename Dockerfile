# syntax=docker/dockerfile:1

# Build stage. The Go image is pinned to the toolchain in go.mod so a rebuild
# next year compiles with the same compiler as today.
FROM golang:1.26.8-bookworm AS build

WORKDIR /src

# Modules get their own layer: editing code then rebuilds without downloading
# every dependency again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# CGO_ENABLED=0 gives a static binary that runs on an image without libc;
# -trimpath keeps build-machine paths out of the binary and its stack traces.
# .git stays out of the context (.dockerignore): the revision comes in as a
# build argument, `docker build --build-arg REVISION=$(git rev-parse HEAD)`,
# for `openimi version` and the openimi_build_info metric.
ARG REVISION=unknown
ARG VERSION=unknown
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X github.com/openimi/openimi/internal/observability.linkedRevision=${REVISION} -X github.com/openimi/openimi/internal/observability.linkedVersion=${VERSION}" \
    -o /out/openimi ./cmd/openimi

# Runtime stage. distroless/static has CA certificates and tzdata but no shell
# or package manager, which leaves little to exploit; that is also why the
# compose healthchecks call `openimi healthcheck` rather than curl.
# "nonroot" is a rolling tag: pin it by digest (FROM ...:nonroot@sha256:...)
# once you have pulled the image you have audited.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/openimi /openimi

# Repeated from the base image so the uid is visible to scanners and to
# `docker inspect`; 65532 is distroless's "nonroot" user.
USER 65532:65532

# 8080: api (HTTP_ADDR). 8081: worker health and metrics (WORKER_HTTP_ADDR).
EXPOSE 8080 8081

ENTRYPOINT ["/openimi"]
CMD ["api"]
