// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The part of pci.ids given to libpci (lib/pciids.c): the input is a
 * pci.ids. Every other vendor it lists (in file order: the first, the
 * third, ...) is in the set; the part is made and, when made, loaded by
 * libpci as pci.c loads it.
 * Oracle: where the part loads, the whole file loads too, and the names
 * of every lookup pci.c could make for the set's vendors (vendor, device,
 * subsystem vendor and device over the ids the input lists, classes) are
 * the same in both. Plus the sanitizers.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#include "fuzz.h"
#include "private.h"

#define MAX_IDS	8

static jmp_buf *err_jmp;

static void __attribute__((noreturn)) cb_error(char *msg, ...)
{
	(void)msg;
	if (err_jmp)
		longjmp(*err_jmp, 1);
	abort();
}

static void cb_quiet(char *msg, ...)
{
	(void)msg;
}

/* libpci's list from path: NULL where the parse stopped on an error. */
static struct pci_access *load(const char *path)
{
	struct pci_access *a = pci_alloc();
	jmp_buf jb;

	if (!a)
		abort();
	a->error = cb_error;
	a->warning = cb_quiet;
	a->debug = cb_quiet;
	a->id_lookup_mode |= PCI_LOOKUP_NO_HWDB;
	a->id_lookup_mode &= ~PCI_LOOKUP_CACHE;
	pci_set_name_list_path(a, strdup(path), 1);
	err_jmp = &jb;
	if (setjmp(jb)) {
		err_jmp = NULL;
		pci_cleanup(a);
		return NULL;
	}
	pci_load_name_list(a);
	err_jmp = NULL;
	return a;
}

struct ids {
	int v[MAX_IDS], d[MAX_IDS], sv[MAX_IDS], sd[MAX_IDS], c[MAX_IDS], sc[MAX_IDS];
	size_t nv, nd, ns, nc, nsc;
};

static int hexn(const char *p, const char *end, int n)
{
	int x = 0;

	if (end - p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = p[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x += c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			x += (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return x;
}

/* The ids the input lists, roughly: what to ask libpci for. */
static void collect(const char *s, size_t len, struct ids *ids)
{
	const char *end = s + len, *p = s, *nl;
	int v, gen = -1;	/* the vendor of the "S" block we are in */

	for (; p < end; p = nl < end ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (p[0] != '\t')
			gen = -1;
		if (p[0] == 'C' && nl - p > 1 && p[1] == ' ') {
			if ((v = hexn(p + 2, nl, 2)) >= 0 && ids->nc < MAX_IDS)
				ids->c[ids->nc++] = v;
		} else if (p[0] == 'S' && nl - p > 1 && p[1] == ' ') {
			gen = hexn(p + 2, nl, 4);
		} else if (p[0] != '\t') {
			if ((v = hexn(p, nl, 4)) >= 0 && ids->nv < MAX_IDS)
				ids->v[ids->nv++] = v;
		} else if (nl - p > 1 && p[1] != '\t') {
			if ((v = hexn(p + 1, nl, 4)) >= 0 && ids->nd < MAX_IDS)
				ids->d[ids->nd++] = v;
			if (v >= 0 && gen >= 0 && ids->ns < MAX_IDS) {
				/* a generic subsystem: (S vendor, id) */
				ids->sv[ids->ns] = gen;
				ids->sd[ids->ns++] = v;
			}
			if ((v = hexn(p + 1, nl, 2)) >= 0 && ids->nsc < MAX_IDS)
				ids->sc[ids->nsc++] = v;
		} else {
			int a = hexn(p + 2, nl, 4), b = hexn(p + 7, nl, 4);

			if (a >= 0 && b >= 0 && ids->ns < MAX_IDS) {
				ids->sv[ids->ns] = a;
				ids->sd[ids->ns++] = b;
			}
		}
	}
}

static void same(struct pci_access *full, struct pci_access *part, int flags,
		 int a, int b, int c, int d)
{
	char bf[256], bp[256], *nf, *np;

	flags |= PCI_LOOKUP_NO_NUMBERS;
	nf = pci_lookup_name(full, bf, sizeof(bf), flags, a, b, c, d);
	np = pci_lookup_name(part, bp, sizeof(bp), flags, a, b, c, d);
	if (!nf != !np || (nf && strcmp(nf, np))) {
		fprintf(stderr, "flags %#x ids %04x %04x %04x %04x: \"%s\" in full, \"%s\" in the part\n",
			flags, a, b, c, d, nf ? nf : "(none)", np ? np : "(none)");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	uint64_t want[1024] = { 0 };
	struct pci_access *full, *part;
	struct ids ids = { 0 };
	char proc[64];
	int fd;

	if (size > 16384)
		return 0;
	if (!path[0])
		snprintf(path, sizeof(path), "%s/pci.ids", fuzz_tmpdir());
	fuzz_write(path, data, size);
	collect((const char *)data, size, &ids);
	for (size_t i = 0; i < ids.nv; i += 2)
		pt__pciids_want_function(want, (uint16_t)ids.v[i], 0);
	fd = pt__pciids_subset(path, want);
	if (fd < 0)
		return 0;	/* pci.c lets libpci load the file itself */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	part = load(proc);
	close(fd);
	if (!part)
		return 0;	/* the same */
	full = load(path);
	if (!full) {
		fprintf(stderr, "the part loads, the whole file does not\n");
		abort();
	}
	for (size_t i = 0; i < ids.nv; i++) {
		int v = ids.v[i];

		if (!pt__pciids_wants(want, (uint16_t)v))
			continue;
		same(full, part, PCI_LOOKUP_VENDOR, v, 0, 0, 0);
		same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR, v, 0, 0, 0);
		for (size_t j = 0; j < ids.nd; j++) {
			same(full, part, PCI_LOOKUP_DEVICE, v, ids.d[j], 0, 0);
			same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
			     v, ids.d[j], v, ids.d[j]);
			for (size_t k = 0; k < ids.ns; k++)
				same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
				     v, ids.d[j], ids.sv[k], ids.sd[k]);
		}
	}
	for (size_t i = 0; i < ids.nc; i++) {
		same(full, part, PCI_LOOKUP_CLASS, ids.c[i] << 8 | 0xfe, 0, 0, 0);
		for (size_t j = 0; j < ids.nsc; j++)
			same(full, part, PCI_LOOKUP_CLASS, ids.c[i] << 8 | ids.sc[j], 0, 0, 0);
	}
	pci_cleanup(full);
	pci_cleanup(part);
	return 0;
}
