// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging through a caller-set callback; the library never prints. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "private.h"

void pt__log(struct pt_ctx *ctx, int priority, const char *file, int line,
	     const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
}

int pt__log_priority_parse(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		v = strtol(s, &end, 10);
		if (*end || v < 0 || v > LOG_DEBUG)
			return -1;
		return (int)v;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].prio;
	return -1;
}

PT_EXPORT void pt_set_log_fn(struct pt_ctx *ctx, pt_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

PT_EXPORT void *pt_get_log_data(struct pt_ctx *ctx)
{
	return ctx->log_data;
}

PT_EXPORT int pt_get_log_priority(struct pt_ctx *ctx)
{
	return ctx->log_priority;
}

PT_EXPORT void pt_set_log_priority(struct pt_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}
