/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The noiommu CLI's JSON output: one object or array per command, printed
 * to stdout piece by piece. The json_kv_*() helpers print one "key": value
 * member, preceded by ", " unless first is true.
 *
 * A value that is absent or unknown (no driver, no IOMMU group, a module
 * parameter that cannot be read) is null: never -1, 0 or "" standing in
 * for it. The *_or_null() helpers say so in one place.
 */
#ifndef NOIOMMU_CLI_JSON_H
#define NOIOMMU_CLI_JSON_H

#include <stdbool.h>

/* s as a JSON string, quotes included; control characters escaped. */
void json_string(const char *s);
void json_kv_str(bool first, const char *key, const char *val);
void json_kv_num(bool first, const char *key, unsigned long long v);
void json_kv_int(bool first, const char *key, long long v);
void json_kv_bool(bool first, const char *key, bool v);
void json_kv_null(bool first, const char *key);
/* val, or null when val is NULL or "" */
void json_kv_str_or_null(bool first, const char *key, const char *val);
/* v, or null when it is not known */
void json_kv_int_or_null(bool first, const char *key, long long v, bool known);

/*
 * A failed command's one line of output:
 *   {"error": name, "errno": err, "message": message}
 * name is an errno name ("ENOENT") or a class ("usage"), err a positive
 * errno or 0.
 */
void json_error(const char *name, int err, const char *message);

#endif
