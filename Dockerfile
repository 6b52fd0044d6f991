# Build stage: the single executable.
FROM oven/bun:1.4.5-debian AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build

# Runtime: distroless, non-root; the binary and ffmpeg.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/camera-recorder /usr/local/bin/camera-recorder
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/camera-recorder"]
CMD ["run", "--config", "/etc/camera-recorder/config.toml"]
