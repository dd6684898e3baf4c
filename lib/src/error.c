// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-thread error messages and the warning/info log. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
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

/* The callback and its argument change together: a thread logging while
 * another calls nio_set_log() must not pair one's fn with the other's arg. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
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

	/* A failure that returned 0 would read as success to the caller */
	if (err <= 0)
		err = EIO;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return -err;
}

void nio_set_log(nio_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

/* The callback runs without any library lock held: it may call into the
 * library (nio_errmsg(), even nio_set_log()). */
static void vlog(enum nio_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	nio_log_fn fn;
	void *arg;

	pthread_mutex_lock(&log_lock);
	fn = log_fn;
	arg = log_arg;
	pthread_mutex_unlock(&log_lock);
	if (!fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fn(level, msg, arg);
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
