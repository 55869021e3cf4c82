// SPDX-License-Identifier: GPL-2.0-or-later
/* Aligned text tables for the human output. */
#include <stdlib.h>
#include <string.h>

#include "pt.h"

struct pt_table {
	int ncols;
	int nrows;
	char **cells;		/* (nrows + 1) * ncols, row 0 the headers */
	size_t *width;
};

struct pt_table *pt_table_new(int ncols, const char *const *headers)
{
	struct pt_table *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->width)
		abort();
	pt_table_add(t, headers);
	t->nrows = 0;
	return t;
}

void pt_table_add(struct pt_table *t, const char *const *cells)
{
	int row = t->cells ? t->nrows + 1 : 0;

	t->cells = realloc(t->cells, (size_t)(row + 1) * t->ncols * sizeof(char *));
	if (!t->cells)
		abort();
	for (int i = 0; i < t->ncols; i++) {
		const char *c = cells[i] && *cells[i] ? cells[i] : "-";
		char *d = strdup(c);

		if (!d)
			abort();
		t->cells[row * t->ncols + i] = d;
		if (strlen(d) > t->width[i])
			t->width[i] = strlen(d);
	}
	if (row > 0)
		t->nrows++;
}

int pt_table_rows(struct pt_table *t)
{
	return t->nrows;
}

void pt_table_print(struct pt_table *t, FILE *f)
{
	for (int r = 0; r <= t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)t->width[c], s);
		}
	}
}

void pt_table_free(struct pt_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
