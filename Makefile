# Top-level entry points. The README's first two lines are `make demo` and
# `make check`; both install what they need (as root) and build what is
# missing.
CASE ?= 3
PREFIX ?= /usr/local

.PHONY: demo check check-long bench bench-quick check-host check-series check-fresh deb kernel tree export-patches setup clean help \
	userspace install

help:
	@echo "make demo            boot the lab and show no-IOMMU DMA"
	@echo "make check           host tests, Kconfig matrix, guest tests (cases 1 3 5, 3-debug, Debian cloud kernel), Debian packages"
	@echo "make check-long      make check with the stress tests at full length (60 s per boot)"
	@echo "make check-host      host tests and Kconfig matrix only"
	@echo "make check-fresh     make demo + host tests in a minimal Debian 12 (debootstrap) root"
	@echo "make deb             the Debian packages (DKMS modules for the newest Debian 6.12 kernel, libnoiommu2, libnoiommu-dev, noiommu-tools) into build/deb/"
	@echo "make bench           benchmarks P1-P6 in the lab: report + plots in benchmarks/results/"
	@echo "make kernel CASE=N   build the kernel for Kconfig case N"
	@echo "make tree            prepare build/linux-6.12 with the series applied"
	@echo "make export-patches  regenerate patches/linux-6.12 from the tree"
	@echo "make check-series    build every patch for cases 1 3 5, compare sparse; cross-build the tip"
	@echo "make userspace       build libnoiommu, the noiommu CLI and the examples for this host"
	@echo "make install         install libnoiommu (+ .pc) and noiommu (+ man page) to PREFIX=$(PREFIX)"

setup:
	lab/setup

demo: setup
	lab/demo

check: setup
	tests/run

check-long: setup
	tests/run --long

check-host: setup
	tests/run --host-only

check-fresh: setup
	lab/check-fresh

# KERNEL=RELEASE (e.g. $(uname -r)): the DKMS package for that installed
# Debian kernel instead of the newest in the archive
deb: setup
	packaging/make-debs $(if $(KERNEL),--kernel $(KERNEL))

bench: setup
	benchmarks/run

bench-quick: setup
	benchmarks/run --quick

kernel: setup
	lab/kernel --case $(CASE)

tree: setup
	lab/tree

export-patches:
	lab/export-patches

check-series: setup
	lab/check-series

# Host builds use the system's kernel headers; what they lack comes from
# lib/src/uapi.h, so the result runs on any kernel with the feature.
userspace:
	$(MAKE) -C lib OUT=$(CURDIR)/build/host/lib
	$(MAKE) -C tools OUT=$(CURDIR)/build/host/tools NIO_OUT=$(CURDIR)/build/host/lib
	$(MAKE) -C examples OUT=$(CURDIR)/build/host/examples NIO_OUT=$(CURDIR)/build/host/lib

install:
	$(MAKE) -C lib OUT=$(CURDIR)/build/host/lib PREFIX=$(PREFIX) install
	$(MAKE) -C tools OUT=$(CURDIR)/build/host/tools NIO_OUT=$(CURDIR)/build/host/lib PREFIX=$(PREFIX) install

clean:
	rm -rf build
