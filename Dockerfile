# Tideline's container image: built on the official Swift image, run on Debian slim with Debian's librdkafka.
#   docker build -t tideline .
#   docker run --rm tideline --help
FROM swift:6.1-bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends librdkafka-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names every target, so its sources (and the test targets' folders) must be present to resolve.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product tideline --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/tideline" /usr/local/bin/tideline

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends librdkafka1 libsqlite3-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/tideline --create-home tideline
COPY --from=build /usr/local/bin/tideline /usr/local/bin/tideline
COPY topics /opt/tideline/topics
COPY tideline.yaml /opt/tideline/tideline.yaml
WORKDIR /opt/tideline
USER tideline
EXPOSE 9464
ENTRYPOINT ["tideline"]
CMD ["--help"]
