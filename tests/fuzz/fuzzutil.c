// SPDX-License-Identifier: GPL-2.0-or-later
/* Temporary trees for the harnesses: made once, emptied between inputs. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char tmp[PATH_MAX];

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

void fuzz_clear(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	if (tmp[0]) {
		fuzz_clear(tmp);
		rmdir(tmp);
	}
}

const char *fuzz_tmpdir(void)
{
	if (!tmp[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tmp, sizeof(tmp), "%s/pt-fuzz.XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(tmp))
			abort();
		atexit(cleanup);
	}
	return tmp;
}

void fuzz_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			abort();
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		abort();
}

void fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}
