/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The noiommu CLI's JSON output: one object or array per command, printed
 * to stdout piece by piece. The json_kv_*() helpers print one "key": value
 * member, preceded by ", " unless first is true.
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

#endif
