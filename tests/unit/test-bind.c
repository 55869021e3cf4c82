// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bind.c: the plans of pt group apply and release on the workstation of
 * tests/fixtures/gen-sysfs --profile apply ($PT_GEN_SYSFS, set by CTest).
 *
 * Planning reads the tree and changes nothing, so those tests share one
 * tree, each with its own conf dir. Executing changes it: those tests get
 * their own tree, without a "kernel" (nothing reacts, so a step's
 * post-condition never holds: -ETIMEDOUT after two seconds and a
 * rollback) or with tests/fakekernel beside it ($PT_FAKEKERNEL) for a
 * whole apply and release.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpassthru.h"
#include "testutil.h"

/* The shared tree (read only but for what a test puts back). */
static char *base;
static char broot[300];
/* Per test: a temp dir for the conf dir (and an own tree), the context. */
static char *tmp;
static char conf[320];
static char root[320];
static struct pt_ctx *ctx;
static pid_t kpid;

#define DEV(bdf)	"bus/pci/devices/" bdf
#define VFIO_DRV	"sys/bus/pci/drivers/vfio-pci"
#define VFIO_AWAY	"sys/bus/pci/vfio-pci.away"

/* ---- trees and contexts --------------------------------------------------- */

/* A temp dir, in /dev/shm where it can be (a tree is ~3,000 files). */
static char *mktemp_dir(void)
{
	char tmpl[] = "/dev/shm/pt-unit-bind-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : tu_mkdtemp();
}

static struct pt_ctx *ctx_on(const char *r)
{
	struct pt_ctx *c;
	char d[400];

	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	snprintf(d, sizeof(d), "%s/sys", r);
	assert_int_equal(pt_set_sysfs_root(c, d), 0);
	snprintf(d, sizeof(d), "%s/proc", r);
	assert_int_equal(pt_set_proc_root(c, d), 0);
	snprintf(d, sizeof(d), "%s/dev", r);
	assert_int_equal(pt_set_dev_root(c, d), 0);
	assert_int_equal(pt_set_conf_dir(c, conf), 0);
	assert_false(pt_is_live(c));
	return c;
}

/* Take the T4's one mdev instance away, as its remove file would. */
static void t4_mdev_remove(const char *r)
{
	static const char uuid[] = "b7f1e0a2-4c3d-4e5f-8a9b-0c1d2e3f4a5b";
	char path[2048], dev[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/" DEV("0000:02:00.0"), r);
	n = readlink(path, dev, sizeof(dev) - 1);
	assert_true(n > 0);
	dev[n] = '\0';
	/* the link is relative to bus/pci/devices */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/mdev_supported_types/nvidia-232/devices/%s",
		 r, dev, uuid);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/%s", r, dev, uuid);
	tu_rmtree(path);
	snprintf(path, sizeof(path), "%s/sys/bus/mdev/devices/%s", r, uuid);
	assert_int_equal(unlink(path), 0);
}

static int group_setup(void **state)
{
	(void)state;
	base = mktemp_dir();
	snprintf(broot, sizeof(broot), "%s/tree", base);
	tu_gen_sysfs(broot, (char *[]){ "--profile", "apply", NULL });
	/* 07:00.3 bound to vfio-pci with the override too: nothing to do */
	tu_write(broot, "sys/" DEV("0000:07:00.3") "/driver_override", "vfio-pci\n");
	/* the T4's mdev instance gone: the GPU may be bound (in-use: tests/apply) */
	t4_mdev_remove(broot);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tu_rmtree(base);
	free(base);
	return 0;
}

/* A test on the shared tree. */
static int setup(void **state)
{
	(void)state;
	tmp = mktemp_dir();
	snprintf(conf, sizeof(conf), "%s/conf", tmp);
	snprintf(root, sizeof(root), "%s", broot);
	ctx = ctx_on(root);
	return 0;
}

/* A test on a tree of its own. */
static int setup_own(void **state)
{
	(void)state;
	tmp = mktemp_dir();
	snprintf(conf, sizeof(conf), "%s/conf", tmp);
	snprintf(root, sizeof(root), "%s/tree", tmp);
	tu_gen_sysfs(root, (char *[]){ "--profile", "apply", NULL });
	t4_mdev_remove(root);
	ctx = ctx_on(root);
	return 0;
}

static void stop_kernel(void);

static int teardown(void **state)
{
	char from[400], to[400];
	struct stat st;

	(void)state;
	stop_kernel();
	pt_unref(ctx);
	ctx = NULL;
	/* vfio-pci "unloaded" by a test of the shared tree comes back */
	snprintf(from, sizeof(from), "%s/" VFIO_AWAY, broot);
	snprintf(to, sizeof(to), "%s/" VFIO_DRV, broot);
	if (lstat(from, &st) == 0 && rename(from, to) < 0)
		return -1;
	tu_write(broot, "sys/" DEV("0000:04:00.1") "/sriov_offset", "79\n");
	tu_write(broot, "sys/" DEV("0000:04:00.1") "/sriov_stride", "1\n");
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static void vfio_unload(void)
{
	char from[400], to[400];

	snprintf(from, sizeof(from), "%s/" VFIO_DRV, root);
	snprintf(to, sizeof(to), "%s/" VFIO_AWAY, root);
	assert_int_equal(rename(from, to), 0);
}

/* ---- the test kernel ------------------------------------------------------- */

/* Start fakekernel on root; false when there is none to start. */
static bool start_kernel(void)
{
	const char *fk = tu_fakekernel_path();

	if (!fk)
		return false;
	kpid = tu_fakekernel_start(fk, root);
	return true;
}

static void stop_kernel(void)
{
	tu_fakekernel_stop(&kpid);
}

/* ---- state files ------------------------------------------------------------ */

static void put(const char *group, const char *text)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "groups.d/%s.ini", group);
	mkdir(conf, 0755);
	tu_write(conf, rel, text);
	/* the context loads groups once: drop them (and the scan) */
	assert_int_equal(pt_set_conf_dir(ctx, conf), 0);
}

/* A group goes (one device belongs to one group: the next claims it). */
static void unput(const char *group)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/groups.d/%s.ini", conf, group);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pt_set_conf_dir(ctx, conf), 0);
}

static void put_record(const char *group, const char *text)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "applied.d/%s.ini", group);
	mkdir(conf, 0755);
	tu_write(conf, rel, text);
}

/* The contents of a file below dir, or NULL when there is none. */
static char filebuf[8192];
static const char *file_in(const char *dir, const char *rel)
{
	char *path;
	size_t n;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, rel) > 0);
	f = fopen(path, "r");
	free(path);
	if (!f)
		return NULL;
	n = fread(filebuf, 1, sizeof(filebuf) - 1, f);
	fclose(f);
	filebuf[n] = '\0';
	return filebuf;
}

static const char *record(const char *group)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "applied.d/%s.ini", group);
	return file_in(conf, rel);
}

/* A sysfs attribute of the tree under test, without its newline. */
static const char *attr(const char *rel)
{
	char r[400];
	const char *s;
	size_t n;

	snprintf(r, sizeof(r), "sys/%s", rel);
	s = file_in(root, r);
	if (!s)
		return "(missing)";
	n = strlen(filebuf);
	if (n && filebuf[n - 1] == '\n')
		filebuf[n - 1] = '\0';
	return filebuf;
}

/* The last component of a link's target in the tree, or "(none)". */
static char linkbuf[PATH_MAX];
static const char *link_base(const char *rel)
{
	char path[600];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/%s", root, rel);
	n = readlink(path, linkbuf, sizeof(linkbuf) - 1);
	if (n < 0)
		return "(none)";
	linkbuf[n] = '\0';
	return strrchr(linkbuf, '/') ? strrchr(linkbuf, '/') + 1 : linkbuf;
}

static bool exists(const char *dir, const char *rel)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) == 0;
}

#define assert_prefix(s, prefix) do {					\
	if (strncmp((s), (prefix), strlen(prefix)))				\
		fail_msg("'%s' does not start with '%s'", (s), (prefix));	\
} while (0)

/* ---- plans -------------------------------------------------------------------- */

static struct pt_plan *plan(bool release, const char *group, unsigned int flags,
			    int want)
{
	struct pt_plan *p = NULL;
	int r = release ? pt_plan_release(ctx, group, flags, &p) :
		pt_plan_apply(ctx, group, flags, &p);

	assert_non_null(p);
	if (r != want)
		fail_msg("%s %s: %d (want %d): %s", release ? "release" : "apply", group,
			 r, want, pt_plan_get_error(p) ? pt_plan_get_error(p) : "no error");
	if (!r)
		assert_null(pt_plan_get_error(p));
	else
		assert_non_null(pt_plan_get_error(p));
	assert_string_equal(pt_plan_get_group(p), group);
	assert_string_equal(pt_plan_get_action(p), release ? "release" : "apply");
	return p;
}

#define APPLY(g, flags, r)	plan(false, g, flags, r)
#define RELEASE(g, flags, r)	plan(true, g, flags, r)

/*
 * One line a step: "kind target <- value", a newline in the value as \n;
 * with status: "[status] " in front.
 */
static char stepbuf[8192];
static const char *steps_of(struct pt_plan *p, bool status)
{
	size_t n = 0;

	stepbuf[0] = '\0';
	for (int i = 0; i < pt_plan_get_num_steps(p); i++) {
		struct pt_step *s = pt_plan_get_step(p, i);
		const char *v = pt_step_get_value(s);

		assert_non_null(pt_step_get_description(s));
		assert_true(pt_step_get_description(s)[0] != '\0');
		if (status)
			n += snprintf(stepbuf + n, sizeof(stepbuf) - n, "[%s] ",
				      pt_step_get_status(s));
		n += snprintf(stepbuf + n, sizeof(stepbuf) - n, "%s %s",
			      pt_step_get_kind(s), pt_step_get_target(s));
		if (v && *v)
			n += snprintf(stepbuf + n, sizeof(stepbuf) - n, " <- %s",
				      strcmp(v, "\n") ? v : "\\n");
		n += snprintf(stepbuf + n, sizeof(stepbuf) - n, "\n");
		assert_true(n < sizeof(stepbuf));
	}
	assert_null(pt_plan_get_step(p, pt_plan_get_num_steps(p)));
	assert_null(pt_plan_get_step(p, -1));
	return stepbuf;
}

#define STEPS(p)	steps_of(p, false)
#define STATUS(p)	steps_of(p, true)

/* The devices of the steps, one a line ("-" for none). */
static const char *devices_of(struct pt_plan *p)
{
	size_t n = 0;

	stepbuf[0] = '\0';
	for (int i = 0; i < pt_plan_get_num_steps(p); i++) {
		const char *d = pt_step_get_device(pt_plan_get_step(p, i));

		n += snprintf(stepbuf + n, sizeof(stepbuf) - n, "%s\n", d ? d : "-");
	}
	return stepbuf;
}

static char notebuf[8192];
static const char *notes_of(struct pt_plan *p)
{
	size_t n = 0;

	notebuf[0] = '\0';
	for (int i = 0; i < pt_plan_get_num_notes(p); i++)
		n += snprintf(notebuf + n, sizeof(notebuf) - n, "%s\n",
			      pt_plan_get_note(p, i));
	assert_null(pt_plan_get_note(p, pt_plan_get_num_notes(p)));
	return notebuf;
}

#define BIND(bdf, drv)								\
	"write " DEV(bdf) "/driver_override <- vfio-pci\n"			\
	"write bus/pci/drivers/" drv "/unbind <- " bdf "\n"			\
	"write bus/pci/drivers_probe <- " bdf "\n"
/* a function without a driver (a VF created with autoprobe off) */
#define BIND_NEW(bdf)								\
	"write " DEV(bdf) "/driver_override <- vfio-pci\n"			\
	"write bus/pci/drivers_probe <- " bdf "\n"
/* the same switch back: driver_override, unbind, drivers_probe */
#define RESTORE(bdf, drv)							\
	"write " DEV(bdf) "/driver_override <- \\n\n"				\
	"write bus/pci/drivers/vfio-pci/unbind <- " bdf "\n"			\
	"write bus/pci/drivers_probe <- " bdf "\n"

#define PCI_GROUP(rules) "[group]\ntype = pci\n" rules
#define RULE(name, match) "[rule \"" name "\"]\nmatch = " match "\n"

/* ---- pci groups ------------------------------------------------------------------ */

static void test_pci_steps(void **state)
{
	struct pt_plan *p;
	struct pt_step *s;

	(void)state;
	/* the T4 alone in IOMMU group 15, on nvidia; vfio-pci is loaded */
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	p = APPLY("t4", 0, 0);
	assert_string_equal(STEPS(p), BIND("0000:02:00.0", "nvidia"));
	assert_string_equal(devices_of(p), "0000:02:00.0\n0000:02:00.0\n0000:02:00.0\n");
	assert_string_equal(STATUS(p),
			    "[planned] write " DEV("0000:02:00.0") "/driver_override <- vfio-pci\n"
			    "[planned] write bus/pci/drivers/nvidia/unbind <- 0000:02:00.0\n"
			    "[planned] write bus/pci/drivers_probe <- 0000:02:00.0\n");
	s = pt_plan_get_step(p, 2);
	assert_non_null(strstr(pt_step_get_description(s), "vfio-pci"));
	pt_plan_free(p);
	/* planning changed nothing */
	assert_false(exists(conf, "applied.d"));
	assert_string_equal(attr(DEV("0000:02:00.0") "/driver_override"), "(null)");

	/* a dry run plans the same without creating the conf dir */
	tu_rmtree(conf);
	assert_int_equal(pt_set_conf_dir(ctx, conf), 0);
	p = APPLY("t4", PT_PLAN_DRY_RUN, -ENOENT);
	assert_string_equal(pt_plan_get_error(p), "group 't4' not found; see 'pt group list'");
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);
	assert_false(exists(conf, ""));
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	p = APPLY("t4", PT_PLAN_DRY_RUN, 0);
	assert_string_equal(STEPS(p), BIND("0000:02:00.0", "nvidia"));
	pt_plan_free(p);
	assert_false(exists(conf, ".lock"));

	/* a group with no members plans nothing and says so */
	put("none", PCI_GROUP(RULE("none", "slot eq 0a:00.0")));
	p = APPLY("none", 0, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	assert_string_equal(notes_of(p), "group 'none' has no members on this host\n");
	pt_plan_free(p);

	/* not a valid group name */
	p = APPLY("../t4", 0, -ENOENT);
	assert_string_equal(pt_plan_get_error(p), "'../t4': not a valid group name");
	pt_plan_free(p);
}

static void test_pci_module(void **state)
{
	struct pt_plan *p;

	(void)state;
	/* without bus/pci/drivers/vfio-pci the module is loaded first */
	vfio_unload();
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	p = APPLY("t4", 0, 0);
	assert_string_equal(STEPS(p), "load-module vfio-pci\n" BIND("0000:02:00.0", "nvidia"));
	assert_string_equal(devices_of(p), "-\n0000:02:00.0\n0000:02:00.0\n0000:02:00.0\n");
	pt_plan_free(p);

	/* nothing to bind: no module either */
	put("done", PCI_GROUP(RULE("v", "slot eq 07:00.3")));
	p = APPLY("done", 0, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);
}

static void test_pci_already_bound(void **state)
{
	struct pt_plan *p;

	(void)state;
	/* driver and driver_override vfio-pci: nothing to do */
	put("done", PCI_GROUP(RULE("v", "slot eq 07:00.3")));
	p = APPLY("done", 0, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	assert_string_equal(notes_of(p), "");
	pt_plan_free(p);

	/* bound without an override: only the override is set */
	put("half", PCI_GROUP(RULE("v", "slot eq 04:02.2")));
	p = APPLY("half", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:02.2") "/driver_override <- vfio-pci\n");
	pt_plan_free(p);

	/*
	 * Executing an empty plan records the state the function had (so a
	 * release leaves it bound), and releasing that has nothing to do.
	 */
	p = APPLY("done", 0, 0);
	assert_int_equal(pt_plan_execute(p), 0);
	assert_null(pt_plan_get_error(p));
	pt_plan_free(p);
	assert_non_null(record("done"));
	assert_non_null(strstr(record("done"),
			       "[device \"0000:07:00.3\"]\nrole = member\ndriver = vfio-pci\n"
			       "driver_override = vfio-pci\n"));
	p = RELEASE("done", 0, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	assert_null(record("done"));
	assert_string_equal(attr(DEV("0000:07:00.3") "/driver_override"), "vfio-pci");
}

static void test_pci_siblings(void **state)
{
	struct pt_plan *p;

	(void)state;
	/*
	 * IOMMU group 19: the PCIe-to-PCI bridge 05:00.0 and, behind it,
	 * 06:00.0 (e1000) and 06:01.0 (parport_serial). The bridge never
	 * counts.
	 */
	put("nic", PCI_GROUP(RULE("e1000", "slot eq 06:00.0")));
	p = APPLY("nic", 0, -EBUSY);
	assert_string_equal(pt_plan_get_error(p),
			    "group 'nic': IOMMU group also holds 0000:06:01.0 (parport_serial), "
			    "outside the group: a group goes to a guest whole; add them to the "
			    "group or use --with-group-siblings");
	pt_plan_free(p);

	p = APPLY("nic", PT_PLAN_WITH_SIBLINGS, 0);
	assert_string_equal(STEPS(p), BIND("0000:06:00.0", "e1000")
			    BIND("0000:06:01.0", "parport_serial"));
	assert_null(strstr(STEPS(p), "05:00.0"));
	assert_string_equal(notes_of(p),
			    "IOMMU group siblings bound too (--with-group-siblings): "
			    "0000:06:01.0 (parport_serial)\n");
	pt_plan_free(p);

	/* both endpoints in the group: no siblings */
	unput("nic");
	put("both", PCI_GROUP(RULE("e1000", "slot eq 06:00.0")
			      RULE("lpt", "slot eq 06:01.0")));
	p = APPLY("both", 0, 0);
	assert_string_equal(STEPS(p), BIND("0000:06:00.0", "e1000")
			    BIND("0000:06:01.0", "parport_serial"));
	assert_string_equal(notes_of(p), "");
	pt_plan_free(p);

	/* a sibling already on vfio-pci still counts: group 14 */
	put("gpu", PCI_GROUP(RULE("gpu", "slot eq 01:00.1")));
	p = APPLY("gpu", 0, -EBUSY);
	assert_non_null(strstr(pt_plan_get_error(p),
			       "IOMMU group also holds 0000:01:00.0 (vfio-pci), outside"));
	pt_plan_free(p);
	p = APPLY("gpu", PT_PLAN_WITH_SIBLINGS, 0);
	/* 01:00.0 is bound with its override: only the member has steps */
	assert_string_equal(STEPS(p), BIND("0000:01:00.1", "snd_hda_intel"));
	pt_plan_free(p);
}

static void test_pci_critical(void **state)
{
	struct pt_plan *p;
	const char *e;

	(void)state;
	/* the NVMe drive under / : never, not even with --force */
	put("disk", PCI_GROUP(RULE("nvme", "slot eq 08:00.0")));
	p = APPLY("disk", 0, -EPERM);
	e = pt_plan_get_error(p);
	assert_prefix(e, "0000:08:00.0: host-critical (");
	assert_non_null(strstr(e, "root filesystem"));
	assert_non_null(strstr(e, "(--force does not override this)"));
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);
	p = APPLY("disk", PT_PLAN_FORCE | PT_PLAN_WITH_SIBLINGS, -EPERM);
	assert_non_null(strstr(pt_plan_get_error(p), "--force does not override this"));
	pt_plan_free(p);

	/* the boot VGA device: only with --force */
	put("igpu", PCI_GROUP(RULE("igpu", "slot eq 00:02.0")));
	p = APPLY("igpu", 0, -EPERM);
	e = pt_plan_get_error(p);
	assert_prefix(e, "0000:00:02.0: host-critical (");
	assert_non_null(strstr(e, "boot"));
	assert_non_null(strstr(e, "; take it out of group 'igpu', or use --force if the host "
			       "can do without it"));
	pt_plan_free(p);
	p = APPLY("igpu", PT_PLAN_FORCE, 0);
	assert_string_equal(STEPS(p), BIND("0000:00:02.0", "i915"));
	assert_non_null(strstr(notes_of(p), "0000:00:02.0: host-critical ("));
	assert_non_null(strstr(notes_of(p), "): bound anyway (--force)\n"));
	pt_plan_free(p);

	/* the NIC under the default routes (ConnectX-5 port 2, alone in group 21) */
	put("uplink", PCI_GROUP(RULE("p1", "slot eq 07:00.1")));
	p = APPLY("uplink", 0, -EPERM);
	assert_non_null(strstr(pt_plan_get_error(p), "default route"));
	pt_plan_free(p);
	p = APPLY("uplink", PT_PLAN_FORCE, 0);
	assert_string_equal(STEPS(p), BIND("0000:07:00.1", "mlx5_core"));
	pt_plan_free(p);

	/* one critical member refuses the whole group, before any step */
	unput("disk");
	put("mixed", PCI_GROUP(RULE("t4", "slot eq 02:00.0") RULE("nvme", "slot eq 08:00.0")));
	p = APPLY("mixed", PT_PLAN_FORCE, -EPERM);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);
}

/* ---- what an earlier apply recorded ------------------------------------------- */

static void test_apply_with_record(void **state)
{
	struct pt_plan *p;

	(void)state;
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	/* applied as another type: release first */
	put_record("t4", "[applied]\ntype = sriov-nic\n");
	p = APPLY("t4", 0, -EBUSY);
	assert_string_equal(pt_plan_get_error(p),
			    "group 't4' was applied as type sriov-nic; run 'pt group release t4' first");
	pt_plan_free(p);

	/* a function the group took before and no longer has goes back */
	put_record("t4", "[applied]\ntype = pci\n\n"
		   "[device \"0000:04:02.3\"]\nrole = member\ndriver = iavf\ndriver_override =\n");
	p = APPLY("t4", 0, 0);
	assert_string_equal(STEPS(p), BIND("0000:02:00.0", "nvidia")
			    "write bus/pci/drivers/vfio-pci/unbind <- 0000:04:02.3\n"
			    "write bus/pci/drivers_probe <- 0000:04:02.3\n");
	assert_string_equal(notes_of(p), "devices applied before that the group no longer "
			    "takes are restored\n");
	pt_plan_free(p);

	/* a broken record is not guessed at */
	put_record("t4", "[applied]\ntype = pci\n[device \"0000:02:00.0\"]\nrole = member\n");
	p = APPLY("t4", 0, -EINVAL);
	assert_non_null(strstr(pt_plan_get_error(p), "/applied.d/t4.ini:3: not a valid record"));
	pt_plan_free(p);
}

/* ---- sriov-nic groups ----------------------------------------------------------- */

#define NIC_GROUP(settings, rules) "[group]\ntype = sriov-nic\n" settings rules

static void test_sriov_range(void **state)
{
	struct pt_plan *p;

	(void)state;
	/* the X710's second port: 64 VFs at most */
	put("nic", NIC_GROUP("numvfs = 65\n", RULE("p1", "slot eq 04:00.1")));
	p = APPLY("nic", 0, -ERANGE);
	assert_string_equal(pt_plan_get_error(p),
			    "0000:04:00.1: numvfs 65 is more than its sriov_totalvfs 64; "
			    "set numvfs to at most 64");
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);

	put("nic", NIC_GROUP("numvfs = 64\n", RULE("p1", "slot eq 04:00.1")));
	p = APPLY("nic", 0, 0);
	assert_non_null(strstr(STEPS(p), "write " DEV("0000:04:00.1") "/sriov_numvfs <- 64\n"));
	/* VF 63 (the last): routing ID 0x401 + offset 79 + 63 * stride 1 */
	assert_non_null(strstr(STEPS(p), BIND_NEW("0000:04:11.7")));
	assert_null(strstr(STEPS(p), "0000:04:12.0"));
	pt_plan_free(p);
}

static void test_sriov_enable(void **state)
{
	char rel[400];
	struct pt_plan *p;

	(void)state;
	/*
	 * 04:00.1 has SR-IOV off: autoprobe off (the host's iavf must not
	 * take the new VFs), two VFs, their settings (sent because the VFs
	 * are new: a fixture's VF settings cannot be read), then each VF to
	 * vfio-pci. VF i is at routing ID 0x401 (04:00.1) + sriov_offset 79
	 * + i * sriov_stride 1: 0x450 + i, 04:0a.i.
	 */
	put("nic", NIC_GROUP("numvfs = 2\nvlan = 100\n", RULE("p1", "slot eq 04:00.1")));
	p = APPLY("nic", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.1") "/sriov_drivers_autoprobe <- 0\n"
			    "write " DEV("0000:04:00.1") "/sriov_numvfs <- 2\n"
			    "netlink enp4s0f1 vf 0 <- vlan 100\n"
			    "netlink enp4s0f1 vf 1 <- vlan 100\n"
			    BIND_NEW("0000:04:0a.0")
			    BIND_NEW("0000:04:0a.1"));
	assert_string_equal(devices_of(p),
			    "0000:04:00.1\n0000:04:00.1\n0000:04:00.1\n0000:04:00.1\n"
			    "0000:04:0a.0\n0000:04:0a.0\n0000:04:0a.1\n0000:04:0a.1\n");
	pt_plan_free(p);

	/* the addresses come from the PF's sriov_offset and sriov_stride */
	snprintf(rel, sizeof(rel), "sys/" DEV("0000:04:00.1") "/sriov_offset");
	tu_write(root, rel, "16\n");
	snprintf(rel, sizeof(rel), "sys/" DEV("0000:04:00.1") "/sriov_stride");
	tu_write(root, rel, "256\n");
	p = APPLY("nic", 0, 0);
	/* 0x0401 + 16 = 04:02.1; + 256: the next bus */
	assert_non_null(strstr(STEPS(p), BIND_NEW("0000:04:02.1") BIND_NEW("0000:05:02.1")));
	pt_plan_free(p);
	/* past the last bus of the domain */
	tu_write(root, rel, "65535\n");
	p = APPLY("nic", 0, -ERANGE);
	assert_string_equal(pt_plan_get_error(p), "0000:04:00.1: cannot compute the address of "
			    "VF 1: Numerical result out of range");
	pt_plan_free(p);
	/* (teardown puts them back) */
}

static void test_sriov_existing(void **state)
{
	struct pt_plan *p;

	(void)state;
	/*
	 * 04:00.0 keeps its four VFs: no netlink step (their settings cannot
	 * be read from a fixture tree, so they are not compared), each VF to
	 * vfio-pci as far as it is not there yet, autoprobe off for VFs made
	 * later.
	 */
	put("nic", NIC_GROUP("vlan = 100\n", RULE("p0", "slot eq 04:00.0")));
	p = APPLY("nic", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.0") "/sriov_drivers_autoprobe <- 0\n"
			    BIND("0000:04:02.0", "iavf")
			    BIND("0000:04:02.1", "iavf")
			    "write " DEV("0000:04:02.2") "/driver_override <- vfio-pci\n"
			    "write " DEV("0000:04:02.3") "/driver_override <- vfio-pci\n");
	assert_string_equal(notes_of(p),
			    "enp4s0f0 vf 0: VF settings cannot be read from a fixture tree; not compared\n"
			    "enp4s0f0 vf 1: VF settings cannot be read from a fixture tree; not compared\n"
			    "enp4s0f0 vf 2: VF settings cannot be read from a fixture tree; not compared\n"
			    "enp4s0f0 vf 3: VF settings cannot be read from a fixture tree; not compared\n");
	pt_plan_free(p);
}

static void test_sriov_recount(void **state)
{
	struct pt_plan *p;

	(void)state;
	/* VFs on any driver outside the group (iavf, vfio-pci): not removed */
	put("nic", NIC_GROUP("numvfs = 6\nvlan = 7\n", RULE("p0", "slot eq 04:00.0")));
	p = APPLY("nic", 0, -EBUSY);
	assert_string_equal(pt_plan_get_error(p),
			    "0000:04:00.0: VF 0 (0000:04:02.0) is bound to iavf outside group "
			    "'nic'; changing numvfs would remove it: release or unbind it first "
			    "(--force does not override this)");
	pt_plan_free(p);

	/*
	 * This group bound them (the record says so): 4 -> 6 goes through 0,
	 * with autoprobe off before; six new VFs with their settings.
	 */
	put_record("nic", "[applied]\ntype = sriov-nic\n\n"
		   "[device \"0000:04:02.0\"]\nrole = vf\ndriver = iavf\ndriver_override =\n\n"
		   "[device \"0000:04:02.1\"]\nrole = vf\ndriver = iavf\ndriver_override =\n\n"
		   "[device \"0000:04:02.2\"]\nrole = vf\ndriver = iavf\ndriver_override =\n\n"
		   "[device \"0000:04:02.3\"]\nrole = vf\ndriver = iavf\ndriver_override =\n");
	p = APPLY("nic", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.0") "/sriov_drivers_autoprobe <- 0\n"
			    "write " DEV("0000:04:00.0") "/sriov_numvfs <- 0\n"
			    "write " DEV("0000:04:00.0") "/sriov_numvfs <- 6\n"
			    "netlink enp4s0f0 vf 0 <- vlan 7\n"
			    "netlink enp4s0f0 vf 1 <- vlan 7\n"
			    "netlink enp4s0f0 vf 2 <- vlan 7\n"
			    "netlink enp4s0f0 vf 3 <- vlan 7\n"
			    "netlink enp4s0f0 vf 4 <- vlan 7\n"
			    "netlink enp4s0f0 vf 5 <- vlan 7\n"
			    BIND_NEW("0000:04:02.0") BIND_NEW("0000:04:02.1")
			    BIND_NEW("0000:04:02.2") BIND_NEW("0000:04:02.3")
			    BIND_NEW("0000:04:02.4") BIND_NEW("0000:04:02.5"));
	pt_plan_free(p);
}

/* ---- vgpu groups ------------------------------------------------------------------ */

static void test_vgpu_mdev(void **state)
{
	static const char *const types[] = {
		"nvidia-222", "nvidia-223", "nvidia-225", "nvidia-230", "nvidia-231",
		"nvidia-232", "nvidia-233", "nvidia-234", "nvidia-319", "nvidia-320",
		"nvidia-321",
	};
	struct pt_plan *p;
	const char *e;

	(void)state;
	/* the T4 (02:00.0): its types; one nvidia-232 instance exists */
	put("vg", "[group]\ntype = vgpu\nmode = mdev\nprofile = nvidia-999\n"
	    RULE("t4", "slot eq 02:00.0"));
	p = APPLY("vg", 0, -ENODEV);
	e = pt_plan_get_error(p);
	assert_prefix(e, "0000:02:00.0: offers no vGPU type 'nvidia-999' (it offers: ");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strstr(e, types[i]))
			fail_msg("%s not listed: %s", types[i], e);
	assert_non_null(strstr(e, "); set the profile of group 'vg' to one of them"));
	pt_plan_free(p);

	/* by id or by name: a note with how many more can be made, no step */
	put("vg", "[group]\ntype = vgpu\nmode = mdev\nprofile = nvidia-232\n"
	    RULE("t4", "slot eq 02:00.0"));
	p = APPLY("vg", 0, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	assert_string_equal(notes_of(p),
			    "0000:02:00.0: vGPU type nvidia-232 (GRID T4-4Q): 3 more can be created\n");
	pt_plan_free(p);
	put("vg", "[group]\ntype = vgpu\nmode = mdev\nprofile = GRID T4-1B\n"
	    RULE("t4", "slot eq 02:00.0"));
	p = APPLY("vg", 0, 0);
	assert_string_equal(notes_of(p),
			    "0000:02:00.0: vGPU type nvidia-222 (GRID T4-1B): 0 more can be created\n");
	pt_plan_free(p);
}

/* ---- release ------------------------------------------------------------------------ */

static void test_release(void **state)
{
	struct pt_plan *p;

	(void)state;
	p = RELEASE("gpu", 0, -ENOENT);
	assert_string_equal(pt_plan_get_error(p),
			    "group 'gpu' is not applied on this host; nothing to release");
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);

	/*
	 * What the record says each function had: 01:00.0 was on nvidia,
	 * 07:00.3 on nothing (no rebind), 04:02.2 is as recorded already,
	 * 0a:00.0 is gone. Undone in reverse order. The group itself need
	 * not exist any more.
	 */
	put_record("gpu", "# by hand\n[applied]\ntype = pci\n\n"
		   "[device \"0000:01:00.0\"]\nrole = member\ndriver = nvidia\ndriver_override =\n\n"
		   "[device \"0000:07:00.3\"]\nrole = sibling\ndriver =\ndriver_override =\n\n"
		   "[device \"0000:04:02.2\"]\nrole = member\ndriver = vfio-pci\n"
		   "driver_override =\n\n"
		   "[device \"0000:0a:00.0\"]\nrole = member\ndriver = e1000e\ndriver_override =\n");
	p = RELEASE("gpu", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:07:00.3") "/driver_override <- \\n\n"
			    "write bus/pci/drivers/vfio-pci/unbind <- 0000:07:00.3\n"
			    RESTORE("0000:01:00.0", "nvidia"));
	assert_string_equal(devices_of(p), "0000:07:00.3\n0000:07:00.3\n"
			    "0000:01:00.0\n0000:01:00.0\n0000:01:00.0\n");
	assert_string_equal(notes_of(p), "0000:0a:00.0: gone from the host; nothing to restore\n");
	pt_plan_free(p);

	/* an override the function had before is put back, not cleared */
	put_record("gpu", "[applied]\ntype = pci\n"
		   "[device \"0000:01:00.0\"]\nrole = member\ndriver = nvidia\n"
		   "driver_override = nvidia\n");
	p = RELEASE("gpu", PT_PLAN_DRY_RUN, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:01:00.0") "/driver_override <- nvidia\n"
			    "write bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0\n"
			    "write bus/pci/drivers_probe <- 0000:01:00.0\n");
	pt_plan_free(p);

	/* a PF: autoprobe back, then the VF count (VFs it removes need no unbind) */
	put_record("nic", "[applied]\ntype = sriov-nic\n"
		   "[pf \"0000:04:00.0\"]\nsriov_numvfs = 0\nsriov_drivers_autoprobe = 0\n"
		   "[device \"0000:04:02.2\"]\nrole = vf\ndriver =\ndriver_override =\n");
	p = RELEASE("nic", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.0") "/sriov_drivers_autoprobe <- 0\n"
			    "write " DEV("0000:04:00.0") "/sriov_numvfs <- 0\n");
	pt_plan_free(p);
	put_record("nic", "[applied]\ntype = sriov-nic\n"
		   "[pf \"0000:04:00.0\"]\nsriov_numvfs = 2\nsriov_drivers_autoprobe = 1\n");
	p = RELEASE("nic", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.0") "/sriov_numvfs <- 0\n"
			    "write " DEV("0000:04:00.0") "/sriov_numvfs <- 2\n");
	pt_plan_free(p);
}

static void test_release_invalid(void **state)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
		/* a key missing */
		{ "[applied]\ntype = pci\n[device \"0000:01:00.0\"]\nrole = member\n"
		  "driver = nvidia\n", 3 },
		/* not a section of a record */
		{ "[applied]\ntype = pci\n\n[group]\ntype = pci\n", 4 },
		{ "[device 0000:01:00.0]\nrole = member\ndriver =\ndriver_override =\n", 1 },
		/* not a BDF */
		{ "[device \"01:00.0\"]\nrole = member\ndriver =\ndriver_override =\n", 1 },
		/* not a driver name */
		{ "[applied]\ntype = pci\n# x\n[device \"0000:01:00.0\"]\nrole = member\n"
		  "driver = ../../x\ndriver_override =\n", 4 },
		/* not numbers */
		{ "[pf \"0000:04:00.0\"]\nsriov_numvfs = two\nsriov_drivers_autoprobe = 1\n", 1 },
		{ "[pf \"0000:04:00.0\"]\nsriov_numvfs = 2\n", 1 },
		{ "[applied]\ntype = sriov-nic\n[vf \"0000:04:00.0\"]\ninterface = enp4s0f0\n"
		  "vlan = 1\n", 3 },
		{ "[applied]\ntype = sriov-nic\n[vf \"0000:04:00.0/1\"]\ninterface = enp4s0f0\n"
		  "colour = blue\n", 3 },
	};
	char want[600];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pt_plan *p = NULL;
		int r;

		put_record("gpu", bad[i].text);
		r = pt_plan_release(ctx, "gpu", 0, &p);
		assert_non_null(p);
		if (r != -EINVAL)
			fail_msg("record %zu read with %d:\n%s", i, r, bad[i].text);
		snprintf(want, sizeof(want), "%s/applied.d/gpu.ini:%d: not a valid record of "
			 "pt-group apply; restore the file or remove it to forget what was "
			 "applied", conf, bad[i].line);
		assert_string_equal(pt_plan_get_error(p), want);
		assert_int_equal(pt_plan_get_num_steps(p), 0);
		/* a refused plan does not run */
		assert_int_equal(pt_plan_execute(p), -EINVAL);
		pt_plan_free(p);
	}
}

/* ---- execution without a kernel ------------------------------------------------ */

static void test_execute_refused(void **state)
{
	struct pt_plan *p;

	(void)state;
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	/* a dry run only shows */
	p = APPLY("t4", PT_PLAN_DRY_RUN, 0);
	assert_int_equal(pt_plan_execute(p), -EINVAL);
	assert_string_equal(STATUS(p),
			    "[planned] write " DEV("0000:02:00.0") "/driver_override <- vfio-pci\n"
			    "[planned] write bus/pci/drivers/nvidia/unbind <- 0000:02:00.0\n"
			    "[planned] write bus/pci/drivers_probe <- 0000:02:00.0\n");
	pt_plan_free(p);
	assert_string_equal(attr(DEV("0000:02:00.0") "/driver_override"), "(null)");
	assert_false(exists(conf, "applied.d"));
	/* a refused plan does not run */
	put("nic", PCI_GROUP(RULE("e1000", "slot eq 06:00.0")));
	p = APPLY("nic", 0, -EBUSY);
	assert_int_equal(pt_plan_execute(p), -EINVAL);
	pt_plan_free(p);
	assert_int_equal(pt_plan_execute(NULL), -EINVAL);
}

static void test_execute_timeout(void **state)
{
	struct pt_plan *p;

	(void)state;
	/* vfio-pci cannot appear on a fixture tree: the first step fails */
	vfio_unload();
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	p = APPLY("t4", 0, 0);
	assert_int_equal(pt_plan_execute(p), -ETIMEDOUT);
	assert_string_equal(pt_plan_get_error(p),
			    "group 't4': step 1 (load vfio-pci and vfio_iommu_type1) failed: "
			    "vfio-pci: driver vfio-pci is not registered; every change of this "
			    "run was undone");
	assert_string_equal(STATUS(p),
			    "[failed] load-module vfio-pci\n"
			    "[planned] write " DEV("0000:02:00.0") "/driver_override <- vfio-pci\n"
			    "[planned] write bus/pci/drivers/nvidia/unbind <- 0000:02:00.0\n"
			    "[planned] write bus/pci/drivers_probe <- 0000:02:00.0\n");
	/* run once only */
	assert_int_equal(pt_plan_execute(p), -EINVAL);
	pt_plan_free(p);
	assert_null(record("t4"));
	assert_string_equal(attr(DEV("0000:02:00.0") "/driver_override"), "(null)");
	assert_string_equal(link_base(DEV("0000:02:00.0") "/driver"), "nvidia");
}

static void test_execute_rollback(void **state)
{
	struct pt_plan *p;

	(void)state;
	/*
	 * Nothing unbinds: the override is set (a plain file reads back what
	 * was written), the unbind's post-condition never holds, and the
	 * override is cleared again.
	 */
	put("t4", PCI_GROUP(RULE("t4", "slot eq 02:00.0")));
	p = APPLY("t4", 0, 0);
	assert_int_equal(pt_plan_execute(p), -ETIMEDOUT);
	assert_string_equal(pt_plan_get_error(p),
			    "group 't4': step 2 (unbind 0000:02:00.0 from nvidia) failed: "
			    "bus/pci/drivers/nvidia/unbind: its driver is nvidia; every change "
			    "of this run was undone");
	assert_string_equal(STATUS(p),
			    "[undone] write " DEV("0000:02:00.0") "/driver_override <- vfio-pci\n"
			    "[failed] write bus/pci/drivers/nvidia/unbind <- 0000:02:00.0\n"
			    "[planned] write bus/pci/drivers_probe <- 0000:02:00.0\n");
	pt_plan_free(p);
	assert_null(record("t4"));
	assert_string_equal(attr(DEV("0000:02:00.0") "/driver_override"), "");
	assert_string_equal(link_base(DEV("0000:02:00.0") "/driver"), "nvidia");
}

/* ---- a whole apply and release with the test kernel ------------------------------ */

static void test_round_trip(void **state)
{
	struct pt_plan *p;

	(void)state;
	if (!start_kernel()) {
		print_message("no fakekernel (set PT_FAKEKERNEL): skipped\n");
		skip();
	}

	/* the e1000 with its IOMMU group sibling */
	put("nic", PCI_GROUP(RULE("e1000", "slot eq 06:00.0")));
	p = APPLY("nic", PT_PLAN_WITH_SIBLINGS, 0);
	assert_int_equal(pt_plan_execute(p), 0);
	assert_null(pt_plan_get_error(p));
	assert_string_equal(STATUS(p),
			    "[done] write " DEV("0000:06:00.0") "/driver_override <- vfio-pci\n"
			    "[done] write bus/pci/drivers/e1000/unbind <- 0000:06:00.0\n"
			    "[done] write bus/pci/drivers_probe <- 0000:06:00.0\n"
			    "[done] write " DEV("0000:06:01.0") "/driver_override <- vfio-pci\n"
			    "[done] write bus/pci/drivers/parport_serial/unbind <- 0000:06:01.0\n"
			    "[done] write bus/pci/drivers_probe <- 0000:06:01.0\n");
	pt_plan_free(p);
	assert_string_equal(link_base(DEV("0000:06:00.0") "/driver"), "vfio-pci");
	assert_string_equal(link_base(DEV("0000:06:01.0") "/driver"), "vfio-pci");
	assert_string_equal(link_base(DEV("0000:05:00.0") "/driver"), "(none)");
	assert_true(exists(root, "dev/vfio/19"));
	assert_false(exists(root, "sys/class/net/enp6s0"));
	assert_non_null(record("nic"));
	assert_string_equal(record("nic"),
			    "[applied]\ntype = pci\n\n"
			    "[device \"0000:06:00.0\"]\nrole = member\ndriver = e1000\n"
			    "driver_override =\n\n"
			    "[device \"0000:06:01.0\"]\nrole = sibling\ndriver = parport_serial\n"
			    "driver_override =\n");

	/* applied again: nothing to do, the record stays */
	p = APPLY("nic", PT_PLAN_WITH_SIBLINGS, 0);
	assert_int_equal(pt_plan_get_num_steps(p), 0);
	pt_plan_free(p);

	/* two new VFs of the X710's second port, autoprobe off, to vfio-pci */
	put("vfs", NIC_GROUP("numvfs = 2\nvlan = 100\n", RULE("p1", "slot eq 04:00.1")));
	p = APPLY("vfs", 0, 0);
	assert_int_equal(pt_plan_execute(p), 0);
	assert_string_equal(STATUS(p),
			    "[done] write " DEV("0000:04:00.1") "/sriov_drivers_autoprobe <- 0\n"
			    "[done] write " DEV("0000:04:00.1") "/sriov_numvfs <- 2\n"
			    "[skipped] netlink enp4s0f1 vf 0 <- vlan 100\n"
			    "[skipped] netlink enp4s0f1 vf 1 <- vlan 100\n"
			    "[done] write " DEV("0000:04:0a.0") "/driver_override <- vfio-pci\n"
			    "[done] write bus/pci/drivers_probe <- 0000:04:0a.0\n"
			    "[done] write " DEV("0000:04:0a.1") "/driver_override <- vfio-pci\n"
			    "[done] write bus/pci/drivers_probe <- 0000:04:0a.1\n");
	assert_non_null(strstr(notes_of(p), "enp4s0f1 vf 0: not sent: VF settings go to the "
			       "running kernel only, not to a fixture tree\n"));
	pt_plan_free(p);
	assert_string_equal(link_base(DEV("0000:04:00.1") "/virtfn1"), "0000:04:0a.1");
	assert_string_equal(link_base(DEV("0000:04:0a.0") "/driver"), "vfio-pci");
	assert_string_equal(link_base(DEV("0000:04:0a.1") "/driver"), "vfio-pci");
	assert_string_equal(record("vfs"),
			    "[applied]\ntype = sriov-nic\n\n"
			    "[device \"0000:04:0a.0\"]\nrole = vf\ndriver =\ndriver_override =\n\n"
			    "[device \"0000:04:0a.1\"]\nrole = vf\ndriver =\ndriver_override =\n\n"
			    "[pf \"0000:04:00.1\"]\nsriov_numvfs = 0\nsriov_drivers_autoprobe = 1\n");

	/* release both: the tree is as it was */
	p = RELEASE("nic", 0, 0);
	assert_string_equal(STEPS(p), RESTORE("0000:06:01.0", "parport_serial")
			    RESTORE("0000:06:00.0", "e1000"));
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	assert_null(record("nic"));
	assert_string_equal(link_base(DEV("0000:06:00.0") "/driver"), "e1000");
	assert_string_equal(link_base(DEV("0000:06:01.0") "/driver"), "parport_serial");
	assert_string_equal(attr(DEV("0000:06:00.0") "/driver_override"), "(null)");
	assert_string_equal(attr(DEV("0000:06:01.0") "/driver_override"), "(null)");
	assert_false(exists(root, "dev/vfio/19"));
	assert_true(exists(root, "sys/class/net/enp6s0"));

	p = RELEASE("vfs", 0, 0);
	assert_string_equal(STEPS(p),
			    "write " DEV("0000:04:00.1") "/sriov_drivers_autoprobe <- 1\n"
			    "write " DEV("0000:04:00.1") "/sriov_numvfs <- 0\n");
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	assert_null(record("vfs"));
	assert_string_equal(attr(DEV("0000:04:00.1") "/sriov_numvfs"), "0");
	assert_string_equal(attr(DEV("0000:04:00.1") "/sriov_drivers_autoprobe"), "1");
	assert_false(exists(root, "sys/" DEV("0000:04:00.1") "/virtfn0"));
	assert_false(exists(root, "sys/" DEV("0000:04:0a.0")));

	/* nothing left to release */
	p = RELEASE("vfs", 0, -ENOENT);
	pt_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pci_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_already_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_siblings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_critical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_with_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_recount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vgpu_mdev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execute_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execute_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execute_rollback, setup_own, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup_own, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
