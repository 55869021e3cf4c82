// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

char *tu_mkdtemp(void)
{
	char tmpl[] = "/tmp/pt-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		abort();
	return strdup(d);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_mkdir(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			abort();
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		abort();
}

static void mkparent(const char *root, const char *rel)
{
	char *copy = strdup(rel), *slash = strrchr(copy, '/');

	if (slash) {
		*slash = '\0';
		tu_mkdir(root, copy);
	}
	free(copy);
}

void tu_write(const char *root, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	mkparent(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

void tu_symlink(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	mkparent(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path) < 0)
		abort();
}
