// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * For profiling only: valgrind 3.19 answers openat2(2) with ENOSYS, and pt
 * reads a captured tree only through openat2. Preloaded under callgrind,
 * this answers pt's openat2 calls (made through syscall(3)) with a plain
 * openat(2) of the same path and flags, the RESOLVE_* confinement
 * dropped: use it on the benchmark's own trees, never on a hostile one.
 *
 *     cc -O2 -shared -fPIC -o /tmp/vg-openat2.so bench/valgrind-openat2.c -ldl
 *     LD_PRELOAD=/tmp/vg-openat2.so valgrind --tool=callgrind build/pt scan --json $O
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_openat2) {
		const struct open_how *how = (const struct open_how *)a[2];
		const char *path = (const char *)a[1];

		/* RESOLVE_IN_ROOT reads "/x" as below the root */
		while (*path == '/')
			path++;
		return openat((int)a[0], *path ? path : ".", (int)how->flags);
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
