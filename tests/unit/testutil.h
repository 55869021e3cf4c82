/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for unit tests: build small sysfs/proc trees in a temp dir. */
#ifndef PT_TESTUTIL_H
#define PT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* A fresh temporary directory (removed by tu_rmtree); aborts on failure. */
char *tu_mkdtemp(void);
/* Remove a tree made by the tests. */
void tu_rmtree(const char *dir);
/* Write "content" to root/rel, creating parent directories. */
void tu_write(const char *root, const char *rel, const char *content);
/* Create a symlink root/rel -> target (relative target, as sysfs has). */
void tu_symlink(const char *root, const char *rel, const char *target);
/* mkdir -p root/rel */
void tu_mkdir(const char *root, const char *rel);

#endif
