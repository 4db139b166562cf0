# The encore image: one binary, every role (`encore gateway --role write|read`, `encore projector`,
# `encore replay`, `encore lag`, ...). Built by compose/compose.yml; `docker build -t encore .`
#
# Stage 1 builds librdkafka >= 2.1 (Debian bookworm ships 2.0.2, which Encore refuses) from
# Debian trixie's source package, as scripts/setup does, then a release build of Encore with
# the Swift standard library linked statically. Stage 2 is Debian slim with the shared
# libraries the binary needs, run as an unprivileged user.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        > /etc/apt/sources.list.d/trixie-src.sources \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        build-essential pkg-config dpkg-dev debian-archive-keyring \
        zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev libsqlite3-dev \
    && mkdir -p /usr/local/src/librdkafka && cd /usr/local/src/librdkafka \
    && apt-get source -qq librdkafka/trixie \
    && cd librdkafka-*/ \
    && ./configure --prefix=/usr/local --disable-curl \
    && make -j"$(nproc)" libs && make install \
    && ldconfig \
    && rm -rf /usr/local/src/librdkafka /var/lib/apt/lists/*
ENV PKG_CONFIG_PATH=/usr/local/lib/pkgconfig

WORKDIR /src
# Dependencies first: this layer is reused while only Encore's sources change.
COPY Package.* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# Resource bundles (the OpenAPI document, the dashboard page) must sit beside the binary.
RUN swift build -c release --product encore --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /out \
    && cp "$bin/encore" /out/ \
    && cp -R "$bin"/*.resources /out/

FROM ${RUNTIME_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        ca-certificates libsqlite3-0 libssl3 libsasl2-2 libzstd1 liblz4-1 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 encore \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/encore --create-home encore
COPY --from=build /usr/local/lib/librdkafka.so.1 /usr/local/lib/
RUN ldconfig
COPY --from=build /out/ /opt/encore/
ENV PATH=/opt/encore:$PATH
USER 10001:10001
WORKDIR /var/lib/encore
# Gateways listen on all interfaces inside a container (the binary's default is loopback).
ENV ENCORE_HOST=0.0.0.0
EXPOSE 8080 9464
ENTRYPOINT ["/opt/encore/encore"]
CMD ["--help"]
