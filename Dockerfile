# camera-recorder: one self-contained binary, ffmpeg, distroless. No HEALTHCHECK: the
# orchestrator probes /health (liveness) and /ready (readiness) on port 9090.
# For linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t camera-recorder .

# 1. Build the single executable, on the build machine's own platform: Bun cross-compiles for the
#    image's (TARGETARCH), fetching that platform's runtime from the npm registry.
FROM --platform=$BUILDPLATFORM oven/bun:1.4.5-debian AS build
ARG TARGETARCH
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY tsconfig.json bunfig.toml ./
COPY scripts/build.ts scripts/compile.ts scripts/release.ts scripts/
COPY src ./src
ARG GIT_COMMIT=unknown
RUN GIT_COMMIT=$GIT_COMMIT bun scripts/release.ts --image "$TARGETARCH"

# 2. Assemble the runtime filesystem: binary, ffmpeg and exactly their shared libraries, on the
#    image's platform (Debian's ffmpeg for amd64 or arm64; buildx emulates a foreign one).
#    The same script is run by the tests, which start the binary inside its output with chroot.
FROM debian:12-slim AS assemble
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/dist/camera-recorder /tmp/camera-recorder
COPY deploy/image/ /tmp/image/
RUN sh /tmp/image/assemble-rootfs.sh /rootfs /tmp/camera-recorder

# 3. Run as non-root on distroless (glibc, CA certificates, tzdata, nothing else).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=assemble /rootfs/usr/ /usr/
COPY --from=assemble /rootfs/etc/camera-recorder/ /etc/camera-recorder/
COPY --from=assemble --chown=65532:65532 /rootfs/var/lib/camera-recorder/ /var/lib/camera-recorder/
ENV CAMERA_RECORDER_CONFIG=/etc/camera-recorder/config.toml \
    FFMPEG_PATH=/usr/bin/ffmpeg
VOLUME ["/var/lib/camera-recorder"]
EXPOSE 9090
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/camera-recorder"]
CMD ["run"]
