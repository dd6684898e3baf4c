# Included by the Makefiles of programs that link libnoiommu. Set NIO_DIR
# (the path to lib/) and OUT before including; optionally NIO_OUT (where the
# library is built, default $(OUT)/lib), KHDR, NIO_LIB_CFLAGS (e.g.
# sanitizers for host unit tests) and STATIC:
#   STATIC=1 (default)  libnoiommu.a and a static executable: the lab's guest
#                       has no shared libraries
#   STATIC=0            libnoiommu.so, as distribution packages link
# NIO_LIB is the library file to depend on, NIO_LIBS what to link with and
# NIO_LDFLAGS the link flags an executable then needs.
NIO_OUT ?= $(OUT)/lib
STATIC ?= 1
ifeq ($(STATIC),1)
NIO_LIB = $(NIO_OUT)/libnoiommu.a
NIO_LIBS = $(NIO_LIB) -lz -pthread
NIO_LDFLAGS = -static
else
NIO_LIB = $(NIO_OUT)/libnoiommu.so
NIO_LIBS = -L$(NIO_OUT) -lnoiommu
NIO_LDFLAGS =
endif

# Always ask lib/'s make: it knows when the library is out of date.
$(NIO_LIB): FORCE
	$(MAKE) -s -C $(NIO_DIR) OUT=$(abspath $(NIO_OUT)) KHDR=$(KHDR) \
		$(if $(NIO_LIB_CFLAGS),CFLAGS="$(NIO_LIB_CFLAGS)") $(abspath $@)

FORCE:
.PHONY: FORCE
