// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Aligned text tables for the human output, and the escaping of every
 * byte the commands print.
 *
 * What the tools print comes from places an attacker can shape: a USB
 * device's product string, a driver name or an attribute in a captured
 * sysfs tree, a hand-edited group file. Printed raw, an escape sequence
 * there retitles or clears the admin's terminal. So:
 *  - stdout and stderr are replaced, once in main(), by streams that
 *    escape every control character on its way to the fd: C0 controls but
 *    newline and tab, DEL, the C1 controls (U+0080-U+009F) and the bidi
 *    overrides that reorder a line (U+202A-U+202E, U+2066-U+2069); on
 *    stderr and in human stdout as "\x1b" (each byte), and bytes that are
 *    not UTF-8 as well. Nothing a command or the library prints can reach
 *    the terminal raw.
 *  - With --json the document is already escaped by json-c; what json-c
 *    leaves raw (DEL, C1, bidi) is written as the same character's
 *    "\u007f" escape, which leaves the JSON exact. Bytes that are not
 *    UTF-8 are passed on.
 *  - Table cells are escaped when added (newline and tab too) so columns
 *    are padded by the display width of what is shown: wcwidth(3) under
 *    C.UTF-8, whatever the user's locale.
 */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "pt.h"

/* ---- escaping ------------------------------------------------------------ */

enum esc_mode {
	ESC_CELL,		/* a table cell: one line, \n and \t escaped too */
	ESC_TEXT,		/* human text: \n and \t kept */
	ESC_JSON,		/* inside a JSON document: \u escapes, bytes kept */
};

static int display_width(uint32_t cp)
{
	static locale_t utf8;
	static int tried;
	locale_t old;
	int w;

	if (!tried) {
		tried = 1;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	if (!utf8)
		return 1;
	old = uselocale(utf8);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	return w < 0 ? 1 : w;
}

static bool is_control(uint32_t cp, enum esc_mode mode)
{
	if (cp == '\n' || cp == '\t')
		return mode == ESC_CELL;
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * One character at p (n bytes available): the bytes it takes, 0 when the
 * sequence is incomplete and more may follow (!final). Its shown form is
 * appended to out (at least 24 bytes free), its display width added to
 * *width.
 */
static size_t esc_char(const unsigned char *p, size_t n, bool final,
		       enum esc_mode mode, char *out, size_t *olen, size_t *width)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b = p[0];
	size_t need, i;
	uint32_t cp, min;

	if (b < 0x80) {
		need = 1;
		cp = b;
	} else if (b >= 0xc2 && b <= 0xdf) {
		need = 2;
		cp = b & 0x1f;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 3;
		cp = b & 0x0f;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 4;
		cp = b & 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (need > 1) {
		for (i = 1; i < need; i++) {
			if (i >= n) {
				if (!final)
					return 0;
				goto bad;
			}
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
	}
	if (is_control(cp, mode)) {
		if (mode == ESC_JSON) {
			*olen += sprintf(out + *olen, "\\u%04x", (unsigned int)cp);
		} else {
			for (i = 0; i < need; i++) {
				out[(*olen)++] = '\\';
				out[(*olen)++] = 'x';
				out[(*olen)++] = hex[p[i] >> 4];
				out[(*olen)++] = hex[p[i] & 15];
			}
		}
		*width += 4 * need;
		return need;
	}
	memcpy(out + *olen, p, need);
	*olen += need;
	*width += need == 1 ? 1 : (size_t)display_width(cp);
	return need;
bad:
	/* not UTF-8: one byte, shown as \xHH (kept as is inside JSON) */
	if (mode == ESC_JSON) {
		out[(*olen)++] = (char)b;
	} else {
		out[(*olen)++] = '\\';
		out[(*olen)++] = 'x';
		out[(*olen)++] = hex[b >> 4];
		out[(*olen)++] = hex[b & 15];
	}
	*width += 4;
	return 1;
}

char *util_escape(const char *s, size_t *width)
{
	size_t len = strlen(s), olen = 0, w = 0;
	char *out = malloc(len * 6 + 1);

	if (!out)
		abort();
	for (size_t i = 0; i < len;)
		i += esc_char((const unsigned char *)s + i, len - i, true,
			      ESC_CELL, out, &olen, &w);
	out[olen] = '\0';
	if (width)
		*width = w;
	return out;
}

/* ---- escaping streams ------------------------------------------------------ */

struct esc_stream {
	int fd;
	bool is_stdout;
	unsigned char pend[4];		/* an incomplete UTF-8 sequence */
	size_t npend;
};

static bool json_output;

void util_escape_json(bool on)
{
	json_output = on;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= n;
	}
	return 0;
}

/* Printable ASCII, newline and tab: shown as they are outside table cells. */
static inline bool esc_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

/*
 * How many bytes at p are plain, eight at a time where none of the eight
 * is a control character other than newline, or above 0x7e (a tab is
 * looked at byte by byte).
 */
static size_t plain_span(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x80 * ones,
		       lows = 0x7f * ones;
	size_t i = 0;

	for (;;) {
		size_t stop;

		for (; i + 8 <= n; i += 8) {
			uint64_t x, z, nl;

			memcpy(&x, p + i, 8);
			/* 0x80 in each newline byte, then newlines as 0x2a */
			z = x ^ ('\n' * ones);
			nl = ~(((z & lows) + lows) | z | lows);
			z = x | (nl >> 2);
			/* a byte < 0x20; a byte >= 0x7f (+1 sets its high bit) */
			if (((z - 0x20 * ones) & ~z & highs) ||
			    (((x + ones) | x) & highs))
				break;
		}
		stop = i + 8 < n ? i + 8 : n;
		for (; i < stop; i++)
			if (!esc_plain(p[i]))
				return i;
		if (i == n)
			return n;
	}
}

/*
 * Runs of plain ASCII (all of a JSON document but its non-ASCII
 * characters) are copied, or written straight from buf when long; only
 * the other characters go through esc_char(): decoding every byte was 40 %
 * of the instructions of a 5,000-function `pt scan --json`.
 */
static ssize_t esc_flush(struct esc_stream *e, const char *buf, size_t size,
			 bool final)
{
	enum esc_mode mode = e->is_stdout && json_output ? ESC_JSON : ESC_TEXT;
	const unsigned char *in = (const unsigned char *)buf;
	unsigned char seq[8];
	char out[1 << 14];
	size_t olen = 0, done = 0, w = 0;

	/* first an incomplete sequence the last write left, with what follows */
	while (e->npend) {
		size_t n = e->npend, take = size - done, used;

		if (take > sizeof(seq) - n)
			take = sizeof(seq) - n;
		memcpy(seq, e->pend, n);
		memcpy(seq + n, in + done, take);
		used = esc_char(seq, n + take, final && done + take == size, mode,
				out, &olen, &w);
		if (!used) {
			/* still incomplete: all of buf is in seq, fewer than 4 bytes */
			memcpy(e->pend, seq, n + take);
			e->npend = n + take;
			return write_all(e->fd, out, olen) < 0 ? -1 : (ssize_t)size;
		}
		if (used >= n) {
			done += used - n;
			e->npend = 0;
		} else {
			/* a bad byte shown alone: the rest is looked at again */
			memmove(e->pend, e->pend + used, n - used);
			e->npend = n - used;
		}
	}
	while (done < size) {
		size_t used;

		if (olen > sizeof(out) - 32) {
			if (write_all(e->fd, out, olen) < 0)
				return -1;
			olen = 0;
		}
		if (esc_plain(in[done])) {
			size_t end = done + plain_span(in + done, size - done);

			if (end - done > sizeof(out) - olen) {
				if (write_all(e->fd, out, olen) < 0 ||
				    write_all(e->fd, buf + done, end - done) < 0)
					return -1;
				olen = 0;
			} else {
				memcpy(out + olen, in + done, end - done);
				olen += end - done;
			}
			done = end;
			continue;
		}
		used = esc_char(in + done, size - done, final, mode, out, &olen, &w);
		if (!used) {
			/* an incomplete sequence at the end: kept for the next write */
			memcpy(e->pend, in + done, size - done);
			e->npend = size - done;
			break;
		}
		done += used;
	}
	if (write_all(e->fd, out, olen) < 0)
		return -1;
	return (ssize_t)size;
}

static ssize_t esc_write(void *cookie, const char *buf, size_t size)
{
	return esc_flush(cookie, buf, size, false);
}

static int esc_close(void *cookie)
{
	return esc_flush(cookie, "", 0, true) < 0 ? -1 : 0;
}

/* The two streams live as long as the process: static, never freed. */
static struct esc_stream esc_out, esc_err;

static FILE *esc_open(struct esc_stream *e, int fd, bool is_stdout)
{
	static const cookie_io_functions_t io = {
		.write = esc_write,
		.close = esc_close,
	};

	e->fd = fd;
	e->is_stdout = is_stdout;
	return fopencookie(e, "w", io);
}

/* exit(): a trailing incomplete UTF-8 sequence is shown, not lost. */
static void esc_at_exit(void)
{
	fflush(stdout);
	fflush(stderr);
	esc_flush(&esc_out, "", 0, true);
	esc_flush(&esc_err, "", 0, true);
}

void util_escape_stdio(void)
{
	FILE *out = esc_open(&esc_out, STDOUT_FILENO, true);
	FILE *err = esc_open(&esc_err, STDERR_FILENO, false);

	atexit(esc_at_exit);
	/* stdout keeps its buffering (full to a pipe, by line to a terminal) */
	if (out) {
		setvbuf(out, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
		stdout = out;
	}
	if (err) {
		setvbuf(err, NULL, _IONBF, 0);
		stderr = err;
	}
}

/* ---- tables -------------------------------------------------------------- */

struct util_table {
	int ncols;
	int nrows;
	char **cells;		/* (nrows + 1) * ncols, row 0 the headers */
	size_t *cwidth;		/* display width of each cell */
	size_t *width;
};

struct util_table *util_table_new(int ncols, const char *const *headers)
{
	struct util_table *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->width)
		abort();
	util_table_add(t, headers);
	t->nrows = 0;
	return t;
}

void util_table_add(struct util_table *t, const char *const *cells)
{
	int row = t->cells ? t->nrows + 1 : 0;
	size_t n = (size_t)(row + 1) * t->ncols;

	t->cells = realloc(t->cells, n * sizeof(char *));
	t->cwidth = realloc(t->cwidth, n * sizeof(size_t));
	if (!t->cells || !t->cwidth)
		abort();
	for (int i = 0; i < t->ncols; i++) {
		const char *c = cells[i] && *cells[i] ? cells[i] : "-";
		size_t k = (size_t)row * t->ncols + i;

		t->cells[k] = util_escape(c, &t->cwidth[k]);
		if (t->cwidth[k] > t->width[i])
			t->width[i] = t->cwidth[k];
	}
	if (row > 0)
		t->nrows++;
}

int util_table_rows(struct util_table *t)
{
	return t->nrows;
}

void util_table_print(struct util_table *t, FILE *f)
{
	for (int r = 0; r <= t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			size_t k = (size_t)r * t->ncols + c;

			fputs(t->cells[k], f);
			if (c == t->ncols - 1)
				fputc('\n', f);
			else
				fprintf(f, "%*s", (int)(t->width[c] - t->cwidth[k] + 2), "");
		}
	}
}

void util_list_print(struct json_object *arr, struct util_table *t)
{
	if (arr) {
		util_json_print(arr);
		json_object_put(arr);
	} else if (t && util_table_rows(t)) {
		util_table_print(t, stdout);
	}
	util_table_free(t);
}

void util_table_free(struct util_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->cwidth);
	free(t->width);
	free(t);
}
