# Included by the Makefiles of programs that link libnoiommu statically.
# Set NIO_DIR (the path to lib/) and OUT before including; optionally
# NIO_OUT (where the library is built, default $(OUT)/lib), KHDR and
# NIO_LIB_CFLAGS (e.g. sanitizers for host unit tests).
NIO_OUT ?= $(OUT)/lib
NIO_LIBS = $(NIO_OUT)/libnoiommu.a -lz -pthread

# Always ask lib/'s make: it knows when the library is out of date.
$(NIO_OUT)/libnoiommu.a: FORCE
	$(MAKE) -s -C $(NIO_DIR) OUT=$(abspath $(NIO_OUT)) KHDR=$(KHDR) \
		$(if $(NIO_LIB_CFLAGS),CFLAGS="$(NIO_LIB_CFLAGS)") $(abspath $@)

FORCE:
.PHONY: FORCE
