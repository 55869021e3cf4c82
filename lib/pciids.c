// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The part of pci.ids this host needs. libpci parses the whole file
 * before its first name (25 M instructions, 2 MiB of heap) though a scan
 * looks up a handful of vendors; pci.c hands libpci a copy of the file
 * without the vendor blocks no lookup can consult, in a memfd, and libpci
 * stays the parser and the source of every name.
 *
 * What each lookup pci.c makes consults (pciutils 3.x lib/names.c,
 * names-hash.c; entries are keyed by category and ids, and every entry of
 * a vendor block has that vendor as its first id):
 *   PCI_LOOKUP_VENDOR (v)                    ID_VENDOR v
 *   PCI_LOOKUP_DEVICE (v, d)                 ID_DEVICE v,d
 *   PCI_LOOKUP_SUBSYSTEM|VENDOR (sv)         ID_VENDOR sv
 *   PCI_LOOKUP_SUBSYSTEM|DEVICE (v,d,sv,sd)  ID_SUBSYSTEM v,d,sv,sd, then the
 *                                            generic ID_GEN_SUBSYSTEM sv,sd
 *                                            ("S" blocks), then, when
 *                                            (v,d) == (sv,sd), ID_DEVICE v,d
 *   PCI_LOOKUP_CLASS (c)                     ID_SUBCLASS, then ID_CLASS ("C")
 * So the copy keeps every line outside vendor blocks (classes, "S"
 * blocks, comments, sections libpci skips), and the whole block of each
 * vendor in the set, which pci.c fills with the vendor and the subsystem
 * vendor of every function; the only lines dropped are the blocks of the
 * other vendors, whose entries no lookup above reaches. Parsing a kept
 * line gives the same entry or the same error as in the full file: each
 * top-level line resets libpci's parser state, and dropped blocks lie
 * between top-level lines. An "S" block needs its vendor already loaded:
 * one whose vendor is not in the set makes the copy fail.
 *
 * The copy must also fail wherever the full parse would stop early on a
 * dropped line (the entries after it would be missing from the full list
 * only): a dropped line libpci's grammar refuses, a repeated vendor, a
 * device or subsystem out of order within its block (the file is sorted,
 * so order is how a duplicate is found without a table), a NUL or CR
 * (libpci ends a line there), a line too long for its 1,024-byte buffer.
 * A dropped entry can only repeat another dropped one (a kept entry has a
 * vendor of the set as its first id). A kept line libpci refuses fails
 * the part's load just as the whole file's, and pci.c then lets libpci
 * load the file itself, so its error names the real file and line. Where
 * the list has no name, libpci asks the hwdb or its cache for the same
 * ids in both cases. Failing means pci.c lets libpci load the file
 * itself, unchanged.
 *
 * The file is read in 64 KiB chunks (no copy of it all in memory) and the
 * kept runs of lines are written to the memfd as they end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>	/* memfd_create */
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define CHUNK		(64 * 1024)
/* libpci reads lines into 1,024 bytes; refuse well before that */
#define MAX_LINE	1000

void pt__pciids_want_function(uint64_t *set, uint16_t vendor, uint16_t subsys_vendor)
{
	set[vendor >> 6] |= 1ULL << (vendor & 63);
	/* pci.c names the subsystem only for these (fill_names) */
	if (subsys_vendor && subsys_vendor != 0xffff)
		set[subsys_vendor >> 6] |= 1ULL << (subsys_vendor & 63);
}

bool pt__pciids_wants(const uint64_t *set, uint16_t vendor)
{
	return set[vendor >> 6] & (1ULL << (vendor & 63));
}

bool pt__pciids_has_function(const uint64_t *set, uint16_t vendor, uint16_t subsys_vendor)
{
	return pt__pciids_wants(set, vendor) &&
	       (!subsys_vendor || subsys_vendor == 0xffff || pt__pciids_wants(set, subsys_vendor));
}

/* Hex digit values plus one; 0: not a hex digit (libpci takes both cases). */
static const unsigned char hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Four hex digits as libpci's id_hex() reads them, or -1. */
static inline __attribute__((always_inline)) int hex4(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int a = hexv[p[0]] - 1, b = hexv[p[1]] - 1, c = hexv[p[2]] - 1, d = hexv[p[3]] - 1;

	if ((a | b | c | d) < 0)
		return -1;
	return a << 12 | b << 8 | c << 4 | d;
}

static bool white(char c)
{
	return c == ' ' || c == '\t';
}

/* A name follows: libpci wants a non-blank character after the ids. */
static bool named(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!white(*p))
			return true;
	return false;
}

struct filt {
	const uint64_t *want;
	uint64_t seen[1024];	/* vendor ids met, to find a repeated one */
	bool in_vendor;		/* the current block is a vendor's */
	bool keep;		/* ... and is copied */
	int last_dev;		/* -1 before the block's first device */
	long last_sub;		/* -1 before the device's first subsystem */
};

/*
 * One line, without its '\n'. Returns 1 to copy it, 0 to drop it, or
 * -ENOTSUP where the copy could differ from the full file.
 */
static int line(struct filt *f, const char *s, size_t n)
{
	const char *end = s + n, *p;
	size_t nest;
	int v;

	/* s[n] is the '\n' or, at the end of the file, a '\n' put there */
	for (nest = 0; s[nest] == '\t'; nest++)
		;
	p = s + nest;
	/* what libpci skips: blank, or '#' after blanks */
	if (p == end || *p == ' ' || *p == '#') {
		const char *q = p;

		while (q < end && white(*q))
			q++;
		if (q == end || *q == '#')
			return f->keep;
	}
	if (!nest) {
		f->in_vendor = false;
		f->keep = true;
		if (n >= 2 && s[1] == ' ' && s[0] >= 'A' && s[0] <= 'Z') {
			/* "C" class, "S" generic subsystem, unknown: kept */
			if (s[0] == 'S' && (n < 6 || (v = hex4(s + 2)) < 0 ||
					    !pt__pciids_wants(f->want, v)))
				return -ENOTSUP;
			return 1;
		}
		if (n < 6 || (v = hex4(s)) < 0 || !white(s[4]) || !named(s + 5, end))
			return -ENOTSUP;
		if (f->seen[v >> 6] & (1ULL << (v & 63)))
			return -ENOTSUP;
		f->seen[v >> 6] |= 1ULL << (v & 63);
		f->in_vendor = true;
		f->keep = pt__pciids_wants(f->want, v);
		f->last_dev = -1;
		return f->keep;
	}
	if (!f->in_vendor)
		return 1;	/* classes, "S" and unknown blocks: verbatim */
	if (nest == 1) {
		if (end - p < 6 || (v = hex4(p)) < 0 || !white(p[4]) ||
		    !named(p + 5, end) || v <= f->last_dev)
			return -ENOTSUP;
		f->last_dev = v;
		f->last_sub = -1;
		return f->keep;
	}
	if (nest == 2 && f->last_dev >= 0 && end - p >= 11) {
		int sv = hex4(p), sd = hex4(p + 5);
		long key;

		if (sv < 0 || sd < 0 || !white(p[4]) || !white(p[9]) || !named(p + 10, end))
			return -ENOTSUP;
		key = (long)sv << 16 | sd;
		if (key <= f->last_sub)
			return -ENOTSUP;
		f->last_sub = key;
		return f->keep;
	}
	return -ENOTSUP;
}

static int put(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The complete lines of buf[0, n) (all of it at the end of the file). */
static int lines(struct filt *f, int out, char *buf, size_t n, bool eof,
		 size_t *used)
{
	char *p = buf, *end = buf + n, *run = NULL, *nl;
	int r = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl && !eof)
			break;
		/* the unterminated last line gets a '\n' after it (buf has room) */
		if (!nl)
			*end = '\n';
		if ((nl ? nl : end) - p >= MAX_LINE)
			return -ENOTSUP;
		r = line(f, p, (size_t)((nl ? nl : end) - p));
		if (r < 0)
			return r;
		if (r && !run)
			run = p;
		if (!r && run) {
			if ((r = put(out, run, (size_t)(p - run))) < 0)
				return r;
			run = NULL;
		}
		p = nl ? nl + 1 : end;
	}
	if (run && (r = put(out, run, (size_t)(p - run))) < 0)
		return r;
	*used = (size_t)(p - buf);
	if (!eof && end - p >= MAX_LINE)
		return -ENOTSUP;
	return 0;
}

static int open_ids(const char *path)
{
	size_t len = strlen(path);
	char *plain;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 || errno != ENOENT || len < 3 || strcmp(path + len - 3, ".gz"))
		return fd < 0 ? -errno : fd;
	/* libpci tries "pci.ids" where "pci.ids.gz" is missing */
	plain = strndup(path, len - 3);
	if (!plain)
		return -ENOMEM;
	fd = open(plain, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	free(plain);
	return fd < 0 ? -errno : fd;
}

int pt__pciids_subset(const char *path, const uint64_t *want)
{
	struct filt *f = NULL;
	char *buf = NULL;
	size_t have = 0, used;
	bool first = true;
	struct stat st;
	int in, out = -1, r;

	in = open_ids(path);
	if (in < 0)
		return in;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -ENOTSUP;	/* a FIFO, a device: libpci's business */
		goto out;
	}
	f = calloc(1, sizeof(*f));
	buf = malloc(CHUNK + 1);
	if (!f || !buf) {
		r = -ENOMEM;
		goto out;
	}
	f->want = want;
	f->keep = true;
	out = memfd_create("pci.ids", MFD_CLOEXEC);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, buf + have, CHUNK - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (first && have + (size_t)n >= 2 &&
		    (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
			r = -ENOTSUP;	/* gzip: libpci inflates it itself */
			goto out;
		}
		first = false;
		if (memchr(buf + have, '\0', (size_t)n) || memchr(buf + have, '\r', (size_t)n)) {
			r = -ENOTSUP;
			goto out;
		}
		have += (size_t)n;
		r = lines(f, out, buf, have, n == 0, &used);
		if (r < 0)
			goto out;
		if (n == 0)
			break;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (lseek(out, 0, SEEK_SET) < 0) {
		r = -errno;
		goto out;
	}
	r = out;
	out = -1;
out:
	if (out >= 0)
		close(out);
	close(in);
	free(buf);
	free(f);
	return r;
}
