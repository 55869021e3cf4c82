// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule parser and matcher. Input: one byte for the group type, then
 * text: the first line is the expression, each further line a
 * "field=value" the matcher reads (a field may repeat: multi-valued).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "private.h"

static const char *row_value(const char *field, int idx, void *data)
{
	char **row = data;
	size_t len = strlen(field);
	int seen = 0;

	for (; *row; row++)
		if (!strncmp(*row, field, len) && (*row)[len] == '=' && seen++ == idx)
			return *row + len + 1;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_rule_expr *e;
	char err[512], why[512], *text, *line, *save = NULL, *row[33];
	enum pt_group_type type;
	int n = 0;

	if (size < 1 || size > 4096)
		return 0;
	type = (enum pt_group_type)(data[0] % 4);
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	line = strtok_r(text, "\n", &save);
	if (line && pt__rule_parse(line, type, &e, err, sizeof(err)) == 0) {
		char *r;

		while (n < 32 && (r = strtok_r(NULL, "\n", &save)))
			row[n++] = r;
		row[n] = NULL;
		pt__rule_match_values(e, row_value, row, n ? (int)(data[0] >> 2) - 1 : -1,
				      why, sizeof(why));
		pt__rule_free(e);
	}
	free(text);
	return 0;
}
