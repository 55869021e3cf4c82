/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The clock and the median the in-process bench programs share
 * (bench-rules.c, bench-conf.c). A measurement, not a test.
 */
#ifndef PT_BENCHUTIL_H
#define PT_BENCHUTIL_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n-1], n > 0; sorts v. */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

#endif
