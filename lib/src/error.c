// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-thread error messages and the warning/info log. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static __thread char errmsg[1024];

static void log_stderr(enum nio_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == NIO_LOG_WARN)
		fprintf(stderr, "libnoiommu: warning: %s\n", msg);
}

static nio_log_fn log_fn = log_stderr;
static void *log_arg;

const char *nio_errmsg(void)
{
	return errmsg;
}

void nioi_clear_error(void)
{
	errmsg[0] = '\0';
}

int nioi_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return -err;
}

void nio_set_log(nio_log_fn fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

static void vlog(enum nio_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!log_fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_fn(level, msg, log_arg);
}

void nioi_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NIO_LOG_WARN, fmt, ap);
	va_end(ap);
}

void nioi_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NIO_LOG_INFO, fmt, ap);
	va_end(ap);
}
