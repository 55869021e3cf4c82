/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the libFuzzer harnesses and their replay driver. */
#ifndef PT_FUZZ_H
#define PT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private temporary directory for the process, removed at exit. */
const char *fuzz_tmpdir(void);
/* Write len bytes to path (created 0644, truncated); aborts on failure. */
void fuzz_write(const char *path, const void *data, size_t len);
/* rm -rf of dir's contents, keeping dir. */
void fuzz_clear(const char *dir);
/* mkdir -p. */
void fuzz_mkdirs(const char *path);

#endif
