# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=$(git describe --always) -t paperfeed .
# Run:   docker run -p 8080:8080 -v paperfeed-data:/data paperfeed

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Module downloads get their own layer, cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG OUT=/out/paperfeed
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X paperfeed/internal/server.Version=${VERSION}" -o "${OUT}" .
# The state directory, empty, to be owned by the non-root user below.
RUN mkdir -p /out/data

# Final image: a static binary, CA certificates and a non-root user only.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="paperfeed" \
      org.opencontainers.image.description="Hugging Face Daily Papers and arXiv as filtered RSS, Atom and JSON feeds"
COPY --from=build /out/paperfeed /paperfeed
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
EXPOSE 8080
ENV PAPERFEED_ADDR=:8080 PAPERFEED_DATA_DIR=/data
# Papers, history and the fetch schedule survive restarts and upgrades here.
VOLUME /data
# Healthy: it serves its feeds (the data is loaded). distroless has no
# curl: the binary asks its own /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 CMD ["/paperfeed", "healthcheck"]
ENTRYPOINT ["/paperfeed"]
