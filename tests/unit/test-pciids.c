// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pciids.c: the part of pci.ids libpci is given must name everything as
 * the whole file does.
 * - differential: the machine's own pci.ids (Debian's pci.ids package),
 *   every vendor, device, subsystem and class entry looked up through the
 *   part and through the whole file, for every vendor in turn;
 * - hostile and fallback: small lists that libpci refuses or the filter
 *   cannot copy (long lines, NUL, CR, duplicates, disorder, gzip, a missing
 *   file, a directory, random mutations), named by pt on a fixture tree with
 *   the part and with the whole file: the names must be equal.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pci/pci.h>

#include "private.h"
#include "testutil.h"

#define SYSTEM_IDS	"/usr/share/misc/pci.ids"

/* ---- libpci on its own ---------------------------------------------------- */

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

/* A name list loaded from path; fails the test on a parse error. */
static struct pci_access *ids_load(const char *path)
{
	struct pci_access *a = pci_alloc();
	jmp_buf jb;

	assert_non_null(a);
	a->error = cb_error;
	a->warning = cb_quiet;
	a->debug = cb_quiet;
	a->id_lookup_mode |= PCI_LOOKUP_NO_HWDB;
	pci_set_name_list_path(a, strdup(path), 1);
	err_jmp = &jb;
	if (setjmp(jb)) {
		err_jmp = NULL;
		fail_msg("libpci could not parse %s", path);
	}
	assert_int_equal(pci_load_name_list(a), 1);
	err_jmp = NULL;
	return a;
}

/* ---- the machine's pci.ids ------------------------------------------------ */

struct sub { int sv, sd; };
struct dev { int id; struct sub *subs; size_t n_subs; };
struct ven { int id; struct dev *devs; size_t n_devs; };
struct cls { int id; int subs[256]; size_t n_subs; };

static struct ven *vens;
static size_t n_vens;
static struct cls *clss;
static size_t n_clss;

/* The test's own reading of the file, for the list of entries to ask for. */
static void ids_entries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	struct ven *v = NULL;
	struct cls *c = NULL;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (line[0] == 'C' && line[1] == ' ') {
			clss = realloc(clss, (n_clss + 1) * sizeof(*clss));
			c = &clss[n_clss++];
			c->id = (int)strtol(line + 2, NULL, 16);
			c->n_subs = 0;
			v = NULL;
		} else if (line[0] != '\t') {
			vens = realloc(vens, (n_vens + 1) * sizeof(*vens));
			v = &vens[n_vens++];
			v->id = (int)strtol(line, NULL, 16);
			v->devs = NULL;
			v->n_devs = 0;
			c = NULL;
		} else if (v && line[1] != '\t') {
			v->devs = realloc(v->devs, (v->n_devs + 1) * sizeof(*v->devs));
			v->devs[v->n_devs].id = (int)strtol(line + 1, NULL, 16);
			v->devs[v->n_devs].subs = NULL;
			v->devs[v->n_devs++].n_subs = 0;
		} else if (v) {
			struct dev *d = &v->devs[v->n_devs - 1];

			d->subs = realloc(d->subs, (d->n_subs + 1) * sizeof(*d->subs));
			d->subs[d->n_subs].sv = (int)strtol(line + 2, NULL, 16);
			d->subs[d->n_subs++].sd = (int)strtol(line + 7, NULL, 16);
		} else if (c && line[1] != '\t') {
			c->subs[c->n_subs++] = (int)strtol(line + 1, NULL, 16);
		}
	}
	fclose(f);
	assert_true(n_vens > 1000 && n_clss > 10);
}

static size_t n_asked;

static void same(struct pci_access *full, struct pci_access *part, int flags,
		 int a, int b, int c, int d)
{
	char bf[256], bp[256], *nf, *np;

	flags |= PCI_LOOKUP_NO_NUMBERS;
	nf = pci_lookup_name(full, bf, sizeof(bf), flags, a, b, c, d);
	np = pci_lookup_name(part, bp, sizeof(bp), flags, a, b, c, d);
	n_asked++;
	if (!nf != !np || (nf && strcmp(nf, np)))
		fail_msg("flags %#x ids %04x %04x %04x %04x: \"%s\" in full, \"%s\" in the part",
			 flags, a, b, c, d, nf ? nf : "(none)", np ? np : "(none)");
}

/*
 * Vendors in groups of 16 in file order: the part for the functions of a
 * group (every device of its vendors with every subsystem pci.ids lists
 * for it, the set pci.c builds) names all of them as the whole file does.
 */
static void test_differential(void **state)
{
	struct pci_access *full;
	uint64_t *set = calloc(1024, sizeof(*set));
	const size_t group = 16;
	size_t parts = 0;

	(void)state;
	if (access(SYSTEM_IDS, R_OK)) {
		/* .ci/deps installs Debian's pci.ids: only a bare machine lacks it */
		skip();
	}
	ids_entries(SYSTEM_IDS);
	full = ids_load(SYSTEM_IDS);
	for (size_t g = 0; g < n_vens; g += group) {
		size_t end = g + group < n_vens ? g + group : n_vens;
		struct pci_access *part;
		char proc[64];
		int fd;

		memset(set, 0, 1024 * sizeof(*set));
		for (size_t i = g; i < end; i++)
			for (size_t j = 0; j < vens[i].n_devs; j++) {
				pt__pciids_want_function(set, vens[i].id, 0);
				for (size_t k = 0; k < vens[i].devs[j].n_subs; k++)
					pt__pciids_want_function(set, vens[i].id,
								 vens[i].devs[j].subs[k].sv);
			}
		for (size_t i = g; i < end; i++)
			pt__pciids_want_function(set, vens[i].id, 0);
		fd = pt__pciids_subset(SYSTEM_IDS, set);
		assert_true(fd >= 0);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		part = ids_load(proc);
		close(fd);
		parts++;
		for (size_t i = g; i < end; i++) {
			struct ven *v = &vens[i];

			same(full, part, PCI_LOOKUP_VENDOR, v->id, 0, 0, 0);
			for (size_t j = 0; j < v->n_devs; j++) {
				struct dev *d = &v->devs[j];

				same(full, part, PCI_LOOKUP_DEVICE, v->id, d->id, 0, 0);
				/* subsystem == device: libpci falls back to the device */
				same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
				     v->id, d->id, v->id, d->id);
				/* a subsystem pci.ids does not list */
				same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
				     v->id, d->id, 0x1d0f, 0xfffe);
				for (size_t k = 0; k < d->n_subs; k++) {
					same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR,
					     d->subs[k].sv, 0, 0, 0);
					same(full, part, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
					     v->id, d->id, d->subs[k].sv, d->subs[k].sd);
				}
			}
		}
		for (size_t c = 0; c < n_clss; c++) {
			same(full, part, PCI_LOOKUP_CLASS, clss[c].id << 8 | 0xfe, 0, 0, 0);
			for (size_t s = 0; s < clss[c].n_subs; s++)
				same(full, part, PCI_LOOKUP_CLASS,
				     clss[c].id << 8 | clss[c].subs[s], 0, 0, 0);
		}
		/* and the part is one: the next group's first vendor is not in it */
		if (end < n_vens && !pt__pciids_wants(set, vens[end].id)) {
			char b[256];

			assert_null(pci_lookup_name(part, b, sizeof(b),
						    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
						    vens[end].id));
		}
		pci_cleanup(part);
	}
	print_message("%zu vendors in %zu parts, %zu lookups compared\n", n_vens, parts, n_asked);
	pci_cleanup(full);
	free(set);
}

/* ---- hostile lists, named by pt ------------------------------------------- */

static char *tmp;
static char sys[256];

#define F1	"pci0000:00/0000:00:01.0"
#define F2	"pci0000:00/0000:00:02.0"
#define F3	"pci0000:00/0000:00:03.0"
#define F4	"pci0000:00/0000:00:04.0"

static int setup(void **state)
{
	(void)state;
	tmp = tu_mktree(sys, sizeof(sys));
	tu_pci_fn(sys, F1, "0x1000\n", "0x0001\n", "0x020000\n");
	tu_pci_subsys(sys, F1, "0x2000\n", "0x0001\n");
	tu_pci_fn(sys, F2, "0x1000\n", "0x0002\n", "0x028000\n");
	tu_pci_subsys(sys, F2, "0x1000\n", "0x0002\n");
	tu_pci_fn(sys, F3, "0x2000\n", "0x0001\n", "0x030000\n");
	tu_pci_fn(sys, F4, "0x1000\n", "0x0001\n", "0x020000\n");
	tu_pci_subsys(sys, F4, "0x2000\n", "0x0009\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

#define BASE_A	"1000  VendorA\n" \
		"\t0001  DevA1\n" \
		"\t\t1000 0005  SubA1 self\n" \
		"\t\t2000 0001  SubA1 by B\n" \
		"\t0002  DevA2\n"
#define BASE_B	"2000  VendorB\n" \
		"\t0001  DevB1\n"
#define BASE_C	"3000  VendorC\n" \
		"# a comment in a block\n" \
		"\t0005  DevC5\n" \
		"\t\t1000 0001  SubC5\n"
#define CLASSES	"C 02  Network controller\n" \
		"\t00  Ethernet controller\n" \
		"\t80  Network controller\n" \
		"C 03  Display controller\n" \
		"\t02  3D controller\n"
#define BASE	"# hostile list\n" BASE_A BASE_B BASE_C CLASSES

#define N_FN	4
#define N_NAMES	5

struct names {
	char *n[N_FN][N_NAMES];
	bool part;		/* pt named from a part of the list */
};

static void names_free(struct names *nm)
{
	for (int i = 0; i < N_FN; i++)
		for (int j = 0; j < N_NAMES; j++)
			free(nm->n[i][j]);
}

static char *dupn(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* pci.c says at debug level when libpci loaded a part. */
static void log_part(struct pt_ctx *c, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char msg[1024];

	(void)c; (void)priority; (void)file; (void)line; (void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	if (strstr(msg, "pci.ids: libpci loaded the part of"))
		*(bool *)pt_get_log_data(c) = true;
}

/*
 * pt's names of the four functions with the list at path; whole: as pt
 * named before the part existed (libpci loads the file itself). later:
 * the third function changes ids after the first names (a function the
 * list was not built for).
 */
static void pt_names(const char *path, bool whole, bool later, struct names *nm)
{
	static const char *const bdfs[N_FN] = {
		"0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0",
	};
	struct pt_ctx *c;

	assert_int_equal(tu_sysfs_ctx(&c, sys), 0);
	pt_set_log_fn(c, log_part, &nm->part);
	pt_set_log_priority(c, LOG_DEBUG);
	c->pci_ids_path = path;
	assert_non_null(pt_pci_dev_get_first(c));
	if (whole)
		c->pci_ids_full = true;
	for (int i = 0; i < N_FN; i++) {
		struct pt_pci_dev *d = tu_pci_dev(c, bdfs[i]);

		if (later && i == 2) {
			d->vendor_id = 0x3000;
			d->device_id = 0x0005;
			d->subsys_vendor_id = 0x1000;
			d->subsys_device_id = 0x0001;
		}
		nm->n[i][0] = dupn(pt_pci_dev_get_vendor_name(d));
		nm->n[i][1] = dupn(pt_pci_dev_get_device_name(d));
		nm->n[i][2] = dupn(pt_pci_dev_get_subsystem_vendor_name(d));
		nm->n[i][3] = dupn(pt_pci_dev_get_subsystem_device_name(d));
		nm->n[i][4] = dupn(pt_pci_dev_get_class_name(d));
	}
	pt_unref(c);
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* pt's names with the list at path equal those from the whole file. */
static void check_path(const char *what, const char *path, int want_part, bool later,
		       struct names *out)
{
	struct names part = { 0 }, whole = { 0 };

	pt_names(path, false, later, &part);
	pt_names(path, true, later, &whole);
	for (int i = 0; i < N_FN; i++)
		for (int j = 0; j < N_NAMES; j++) {
			const char *p = part.n[i][j], *w = whole.n[i][j];

			if (!p != !w || (p && strcmp(p, w)))
				fail_msg("%s: function %d name %d: \"%s\" from the part, "
					 "\"%s\" from the whole file", what, i, j,
					 p ? p : "(none)", w ? w : "(none)");
		}
	if (want_part >= 0 && part.part != want_part)
		fail_msg("%s: named from %s", what, part.part ? "a part" : "the whole file");
	if (out)
		*out = part;
	else
		names_free(&part);
	names_free(&whole);
}

static void check(const char *what, const char *text, size_t len, int want_part)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/pci.ids", tmp);
	write_file(path, text, len);
	check_path(what, path, want_part, false, NULL);
}

#define CHECK(what, text, part)	check(what, text, sizeof(text) - 1, part)

static void test_names(void **state)
{
	struct names nm;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/pci.ids", tmp);
	write_file(path, BASE, sizeof(BASE) - 1);
	check_path("base", path, 1, false, &nm);
	assert_string_equal(nm.n[0][0], "VendorA");
	assert_string_equal(nm.n[0][1], "DevA1");
	assert_string_equal(nm.n[0][2], "VendorB");
	assert_string_equal(nm.n[0][3], "SubA1 by B");
	assert_string_equal(nm.n[0][4], "Ethernet controller");
	assert_string_equal(nm.n[1][3], "DevA2");	/* subsystem == device */
	assert_string_equal(nm.n[1][4], "Network controller");
	assert_string_equal(nm.n[2][0], "VendorB");
	assert_null(nm.n[2][2]);			/* no subsystem */
	assert_string_equal(nm.n[2][4], "Display controller [0300]");
	assert_null(nm.n[3][3]);			/* 2000:0009 unknown */
	names_free(&nm);

	/* a function named after the part was made: the part grows */
	check_path("later", path, 1, true, &nm);
	assert_string_equal(nm.n[2][0], "VendorC");
	assert_string_equal(nm.n[2][1], "DevC5");
	assert_string_equal(nm.n[2][3], "SubC5");
	names_free(&nm);

	/* generic subsystems ("S"): their vendor must come with them */
	check("S block", BASE "S 2000\n\t0009  Generic sub\n", sizeof(BASE "S 2000\n\t0009  Generic sub\n") - 1, 1);
	check_path("S block", path, 1, false, &nm);
	assert_string_equal(nm.n[3][3], "Generic sub");
	names_free(&nm);
	CHECK("S block of a dropped vendor", BASE "S 3000\n\t0009  Generic sub\n", 0);
	CHECK("S block of no vendor", BASE "S 5000\n\t0009  Generic sub\n", 0);
	CHECK("unknown block", BASE "X 12  Future\n\tabc whatever\n\t\tmore\n", 1);
}

static void test_hostile(void **state)
{
	char big[2100], text[4096];
	int n;

	(void)state;
	CHECK("no trailing newline", "# l\n" BASE_A BASE_B BASE_C "C 02  Network controller", 1);
	CHECK("no trailing newline, dropped", BASE "4000  VendorD\n\t0001  DevD1", 1);
	CHECK("vendors out of order", "# l\n" BASE_C BASE_B CLASSES BASE_A, 1);
	CHECK("hex in capitals", "ABCD  VendorX\n\t0A0B  DevX\n" BASE, 1);
	CHECK("empty", "", 1);
	CHECK("comments only", "# one\n\n\t# two\n   \n", 1);
	CHECK("CR LF", "1000  VendorA\r\n\t0001  DevA1\r\n3000  VendorC\r\n\t0005  DevC5\r\n"
	      "C 02  Network controller\r\n\t00  Ethernet controller\r\n", 0);
	CHECK("NUL in a dropped line", "# l\n" BASE_A BASE_B "3000  Ven\0dorC\n\t0005  DevC5\n" CLASSES, 0);
	CHECK("NUL in a kept line", "# l\n1000  Vendor\0A\n" BASE_B BASE_C CLASSES, 0);
	CHECK("duplicate dropped vendor", "# l\n" BASE_A BASE_B BASE_C "3000  VendorC again\n" CLASSES, 0);
	CHECK("duplicate dropped device", "# l\n" BASE_A BASE_B BASE_C "\t0005  DevC5 again\n" CLASSES, 0);
	CHECK("devices out of order", "# l\n" BASE_A BASE_B "3000  VendorC\n\t0006  D6\n\t0005  D5\n" CLASSES, 0);
	CHECK("subsystems out of order", "# l\n" BASE_A BASE_B "3000  VendorC\n\t0006  D6\n"
	      "\t\t1000 0002  S2\n\t\t1000 0001  S1\n" CLASSES, 0);
	CHECK("duplicate kept device", "# l\n" BASE_A "\t0002  DevA2 again\n" BASE_B BASE_C CLASSES, 0);
	CHECK("bad hex, dropped", "# l\n" BASE_A BASE_B "3000  VendorC\n\t00g5  DevC5\n" CLASSES, 0);
	CHECK("nesting 3, dropped", "# l\n" BASE_A BASE_B BASE_C "\t\t\t1000 0001  x\n" CLASSES, 0);
	CHECK("subsystem before device, dropped", "# l\n" BASE_A BASE_B "3000  VendorC\n\t\t1000 0001  x\n" CLASSES, 0);
	CHECK("vendor without a name, dropped", "# l\n" BASE_A BASE_B "3000  \n" CLASSES, 0);
	CHECK("short vendor line", "# l\n" BASE_A BASE_B "300\n" CLASSES, 0);
	CHECK("leading space", "# l\n" BASE_A BASE_B " 3000  VendorC\n" CLASSES, 0);
	CHECK("bad line, kept", "# l\n" BASE_A "\tzz  bad\n" BASE_B BASE_C CLASSES, 0);
	CHECK("nested before any block", "\t0001  orphan\n" BASE, 0);

	/* very long lines: refused past 1,000 bytes, libpci stops past 1,022 */
	memset(big, 'x', sizeof(big));
	static const int lens[] = { 990, 1005, 1015, 1016, 1100, 2048 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int len = lens[i];

		n = snprintf(text, sizeof(text), "# l\n" BASE_A BASE_B "3000  VendorC\n\t0005  %.*s\n"
			     CLASSES, len, big);
		check("long line, dropped", text, (size_t)n, len <= 990 ? 1 : 0);
		n = snprintf(text, sizeof(text), "# l\n1000  VendorA\n\t0001  %.*s\n" BASE_B BASE_C
			     CLASSES, len, big);
		check("long line, kept", text, (size_t)n, len <= 990 ? 1 : 0);
	}
	n = snprintf(text, sizeof(text), BASE "4000  %.*s", 1500, big);
	check("long last line without newline", text, (size_t)n, 0);
}

/* Lists libpci loads in full: compressed, missing, not a file. */
static void test_fallback(void **state)
{
	char path[512], cmd[1200];
	struct names nm;

	(void)state;
	snprintf(path, sizeof(path), "%s/pci.ids", tmp);
	write_file(path, BASE, sizeof(BASE) - 1);
	snprintf(cmd, sizeof(cmd), "gzip -n -f '%s'", path);
	if (system(cmd) == 0) {
		/* pci.ids.gz: libpci inflates it (Debian builds it with zlib) */
		snprintf(path, sizeof(path), "%s/pci.ids.gz", tmp);
		check_path("gzip", path, 0, false, &nm);
		assert_string_equal(nm.n[0][3], "SubA1 by B");
		names_free(&nm);
		unlink(path);
	}
	/* "X.gz" missing: libpci reads X, and so does the filter */
	snprintf(path, sizeof(path), "%s/pci.ids", tmp);
	write_file(path, BASE, sizeof(BASE) - 1);
	snprintf(path, sizeof(path), "%s/pci.ids.gz", tmp);
	check_path("plain behind .gz", path, 1, false, &nm);
	assert_string_equal(nm.n[0][1], "DevA1");
	names_free(&nm);
	snprintf(path, sizeof(path), "%s/missing.ids", tmp);
	check_path("missing", path, 0, false, &nm);
	assert_null(nm.n[0][0]);
	names_free(&nm);
	snprintf(path, sizeof(path), "%s/dir.ids", tmp);
	assert_int_equal(mkdir(path, 0755), 0);
	check_path("a directory", path, 0, false, NULL);
	assert_int_equal(pt__pciids_subset(path, (uint64_t[1024]){ 0 }), -ENOTSUP);
}

/* Random damage to the base list: whatever happens, the same names. */
static void test_mutations(void **state)
{
	static const char alphabet[] = "\t\n #0123aAfFgCSX\r\0";
	char text[sizeof(BASE) + 64];
	unsigned int seed = 14;

	(void)state;
	for (int round = 0; round < 150; round++) {
		size_t len = sizeof(BASE) - 1;
		int edits = 1 + (int)(rand_r(&seed) % 4);

		memcpy(text, BASE, len);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand_r(&seed) % len;
			char ch = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];

			switch (rand_r(&seed) % 3) {
			case 0:
				text[at] = ch;
				break;
			case 1:
				if (len + 1 < sizeof(text)) {
					memmove(text + at + 1, text + at, len - at);
					text[at] = ch;
					len++;
				}
				break;
			default:
				memmove(text + at, text + at + 1, len - at - 1);
				len--;
				break;
			}
		}
		check("mutation", text, len, -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
