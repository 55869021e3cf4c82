/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for unit tests: build small sysfs/proc trees in a temp dir. */
#ifndef PT_TESTUTIL_H
#define PT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/types.h>
#include <cmocka.h>

struct pt_ctx;
struct pt_pci_dev;

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

/*
 * Sysfs trees, built once for every unit test. sys is the sysfs root of
 * the tree; a "path" is below sys/devices/ ("pci0000:00/0000:00:1c.0",
 * "pci0000:00/0000:00:1c.0/0000:0a:00.0"); its last component is the
 * function's BDF, and a bare BDF (a name with ':' and no '/') stands for
 * pci0000:00/<BDF>. Links are relative, as the kernel makes them. Attribute
 * values get the newline sysfs ends them with when they have none.
 */
/* The last component of a path (the BDF of a function's path). */
const char *tu_base(const char *path);
/* A symlink sys/rel -> sys/target, written relative ("../" per level). */
void tu_link(const char *sys, const char *rel, const char *target);
/* devices/<path>/<name> holding value. */
void tu_dev_attr(const char *sys, const char *path, const char *name, const char *value);
/* devices/<path>/<name> -> sys/target (relative). */
void tu_dev_link(const char *sys, const char *path, const char *name, const char *target);
/*
 * A PCI function at devices/<path>: what libpci's sysfs backend reads to
 * list it (vendor, device, class, irq, resource) and its bus/pci/devices
 * link, no more; tests add the rest.
 */
void tu_pci_fn(const char *sys, const char *path, const char *vendor,
	       const char *device, const char *class);
/* Its subsystem_vendor and subsystem_device. */
void tu_pci_subsys(const char *sys, const char *path, const char *vendor,
		   const char *device);
/* devices/<path>/driver -> bus/pci/drivers/<drv> (made). */
void tu_pci_driver(const char *sys, const char *path, const char *drv);
/* devices/<path>/iommu_group -> kernel/iommu_groups/<group> (made). */
void tu_pci_group(const char *sys, const char *path, const char *group);
/* The PF at devices/<pf>: virtfn<idx> -> the VF at devices/<vf>, physfn back. */
void tu_pci_vf(const char *sys, const char *pf, int idx, const char *vf);
/*
 * A network interface devices/<path>/net/<name> (its operstate file when
 * operstate is not NULL) and its class/net/<name> link.
 */
void tu_netdev(const char *sys, const char *path, const char *name,
	       const char *operstate);
/* NVIDIA per-VF vGPU: nvidia/creatable_vgpu_types, nvidia/current_vgpu_type
 * (each when not NULL). */
void tu_pci_vgpu(const char *sys, const char *path, const char *creatable,
		 const char *current);
/*
 * mdev types of the parent whose directory below sys is dir ("devices/...",
 * as a parent's path reads): one attribute, value as given; or a type with
 * name, available_instances, device_api vfio-pci and an empty devices/.
 */
void tu_mdev_type_attr(const char *sys, const char *dir, const char *type,
		       const char *name, const char *value);
void tu_mdev_type(const char *sys, const char *dir, const char *type,
		  const char *name, const char *available);

/* ---- fixture hosts and contexts ----------------------------------------- */

enum tu_roots {
	TU_SYS = 1 << 0,	/* root/sys, made with bus/pci/devices */
	TU_PROC = 1 << 1,	/* root/proc, made */
	TU_DEV = 1 << 2,	/* root/dev, made */
	TU_CONF = 1 << 3,	/* root/etc-passthru, not made (the store makes it) */
};

/*
 * A host below one fresh temp dir: the roots asked for, as above; a root
 * not asked for is "" and tu_host_ctx leaves it at the library's default.
 * A test that wants a modules dir writes its path into mods. err is for
 * the error text the library hands back.
 */
struct tu_host {
	char *root;
	char sys[256], proc[256], dev[256], mods[256], conf[300];
	struct pt_ctx *ctx;
	char err[1024];
};

struct tu_host *tu_host_new(unsigned int roots);
/*
 * The host's context (once its tree is complete): every root that is not
 * "" set, the log silenced. Owned by the host.
 */
struct pt_ctx *tu_host_ctx(struct tu_host *h);
/* A cmocka teardown for a host in *state: its context, tree and itself. */
int tu_host_teardown(void **state);

/* The function bdf of ctx; fails the test when it is not there. */
struct pt_pci_dev *tu_pci_dev(struct pt_ctx *ctx, const char *bdf);
/* A fresh temp dir (returned) with sys/ made in it, whose path goes to sys. */
char *tu_mktree(char *sys, size_t len);
/* A context on the sysfs root sys, log silenced: 0 or a negative errno. */
int tu_sysfs_ctx(struct pt_ctx **ctx, const char *sys);
/* Release ctx, then remove the tree below dir and free dir. */
void tu_tree_free(struct pt_ctx *ctx, char *dir);

/* ---- generated trees and the test kernel --------------------------------- */

/*
 * tests/fixtures/gen-sysfs ($PT_GEN_SYSFS, set by CTest), quiet, with args
 * (NULL-terminated, twelve at most) filling dir; fails the test when it
 * cannot run or fails.
 */
void tu_gen_sysfs(const char *dir, char *const args[]);
/* tests/fakekernel: $PT_FAKEKERNEL, else the one of this build tree; NULL: none. */
const char *tu_fakekernel_path(void);
/* Start the kernel fk on root, ready once it says so; fails the test when not. */
pid_t tu_fakekernel_start(const char *fk, const char *root);
/* Stop the kernel *pid (when one runs, 0 after) and check it exited 0. */
void tu_fakekernel_stop(pid_t *pid);

#endif
