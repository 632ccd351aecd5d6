# Tideline. `make demo` runs the demo on the embedded broker; `make test` runs the tests.
# Both install what is missing (librdkafka-dev, libsqlite3-dev, kcat) through scripts/bootstrap.sh first.
SWIFT ?= swift

.PHONY: all build release test demo bench bootstrap clean

all: build

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release --product tideline

demo: release
	.build/release/tideline demo

test: bootstrap
	@scripts/bootstrap.sh --test
	$(SWIFT) build --build-tests
	python3 scripts/check_topics.py
	$(SWIFT) test --skip-build

bench: release
	Benchmarks/run.sh

clean:
	rm -rf .build
