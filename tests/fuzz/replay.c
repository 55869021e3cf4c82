// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay a harness's corpus without libFuzzer (any compiler, plain or
 * sanitizer build): each argument is a file or a directory of inputs,
 * run once each, in name order. Prints "<n> inputs"; a crash or a
 * sanitizer report fails the test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat sb;
		int k;

		if (stat(argv[i], &sb) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			n++;
			continue;
		}
		k = scandir(argv[i], &names, NULL, alphasort);
		if (k < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int j = 0; j < k; j++) {
			char path[4096];

			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
				if (run_file(path) < 0)
					return 1;
				n++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%ld inputs\n", n);
	return n ? 0 : 1;
}
