// SPDX-License-Identifier: LGPL-2.1-or-later
/* See json.h. */
#include <stdio.h>

#include "json.h"

void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_key(bool first, const char *key)
{
	printf("%s\"%s\": ", first ? "" : ", ", key);
}

void json_kv_str(bool first, const char *key, const char *val)
{
	json_key(first, key);
	json_string(val);
}

void json_kv_num(bool first, const char *key, unsigned long long v)
{
	json_key(first, key);
	printf("%llu", v);
}

void json_kv_int(bool first, const char *key, long long v)
{
	json_key(first, key);
	printf("%lld", v);
}

void json_kv_bool(bool first, const char *key, bool v)
{
	json_key(first, key);
	printf("%s", v ? "true" : "false");
}

void json_kv_null(bool first, const char *key)
{
	json_key(first, key);
	printf("null");
}

void json_kv_str_or_null(bool first, const char *key, const char *val)
{
	if (val && val[0])
		json_kv_str(first, key, val);
	else
		json_kv_null(first, key);
}

void json_kv_int_or_null(bool first, const char *key, long long v, bool known)
{
	if (known)
		json_kv_int(first, key, v);
	else
		json_kv_null(first, key);
}

void json_error(const char *name, int err, const char *message)
{
	printf("{");
	json_kv_str(true, "error", name);
	json_kv_int(false, "errno", err);
	json_kv_str(false, "message", message);
	printf("}\n");
}
