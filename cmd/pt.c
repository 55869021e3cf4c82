// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt: the dispatcher. "pt scan ..." and "pt-scan ..." are the same; the
 * pt-<name> links strip "pt-" from the program name and dispatch.
 * Command names match exactly: no prefixes, so no abbreviation freezes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "pt.h"

struct pt_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct pt_ctx *ctx);
	const char *help;
};

static const struct pt_cmd commands[] = {
	{ .name = "scan", .fn = cmd_scan, .help = "list passthrough candidates and check the host" },
	{ .name = "rule", .fn = cmd_rule, .help = "add, list, show, remove and test resource rules" },
	{ .name = "group", .fn = cmd_group, .help = "create, show, change, check, apply and release resource groups" },
	{ .name = "attach", .fn = cmd_attach, .help = "give VMs devices from groups: requests, start, stop" },
	{ .name = "tenant", .fn = cmd_tenant, .help = "tenants: Unix groups of admins and the units granted to them" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pt [--version] [--help] [--list-cmds] <command> [<args>]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nSee 'pt help <command>' or 'man pt-<command>' for one command.\n");
}

void util_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pt-%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The one errno -> exit status map of every command (pt(8), EXIT STATUS).
 * The library gives a few errnos a meaning that depends on what was asked
 * (-EINVAL: a bad value on the command line when editing, invalid state
 * files when planning; -EPERM: refused for safety when planning, denied
 * when writing), so each row says it per stage.
 */
static const struct {
	int err;
	unsigned char exit[UTIL_STAGES];	/* load, edit, plan, run */
} exit_map[] = {
	{ 0,	     { PT_EXIT_OK, PT_EXIT_OK, PT_EXIT_OK, PT_EXIT_OK } },
	{ EPERM,     { PT_EXIT_PERM, PT_EXIT_PERM, PT_EXIT_REFUSED, PT_EXIT_PERM } },
	{ EACCES,    { PT_EXIT_PERM, PT_EXIT_PERM, PT_EXIT_PERM, PT_EXIT_PERM } },
	{ EROFS,     { PT_EXIT_PERM, PT_EXIT_PERM, PT_EXIT_PERM, PT_EXIT_PERM } },
	{ ENOENT,    { PT_EXIT_FAILURE, PT_EXIT_NOTFOUND, PT_EXIT_NOTFOUND, PT_EXIT_FAILURE } },
	{ ENXIO,     { PT_EXIT_FAILURE, PT_EXIT_NOTFOUND, PT_EXIT_NOTFOUND, PT_EXIT_FAILURE } },
	{ ENODEV,    { PT_EXIT_FAILURE, PT_EXIT_NOTFOUND, PT_EXIT_UNSUPPORTED, PT_EXIT_FAILURE } },
	{ EBUSY,     { PT_EXIT_FAILURE, PT_EXIT_REFUSED, PT_EXIT_REFUSED, PT_EXIT_FAILURE } },
	{ EEXIST,    { PT_EXIT_FAILURE, PT_EXIT_REFUSED, PT_EXIT_REFUSED, PT_EXIT_FAILURE } },
	{ ERANGE,    { PT_EXIT_FAILURE, PT_EXIT_USAGE, PT_EXIT_REFUSED, PT_EXIT_FAILURE } },
	{ EINVAL,    { PT_EXIT_CONFIG, PT_EXIT_USAGE, PT_EXIT_CONFIG, PT_EXIT_FAILURE } },
	/* a symlinked or oversized state file: the state is invalid */
	{ ELOOP,     { PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_FAILURE } },
	{ EFBIG,     { PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_FAILURE } },
	/* a file where a directory belongs, or the other way round */
	{ ENOTDIR,   { PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_FAILURE } },
	{ EISDIR,    { PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_CONFIG, PT_EXIT_FAILURE } },
	{ ENOMEM,    { PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE } },
	{ EIO,	     { PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE } },
	{ ETIMEDOUT, { PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE, PT_EXIT_FAILURE } },
};

int util_exit_from_errno(int e, enum util_stage stage)
{
	for (size_t i = 0; i < sizeof(exit_map) / sizeof(*exit_map); i++)
		if (exit_map[i].err == -e)
			return exit_map[i].exit[stage];
	/* anything else could not be made or read: a failure (ENOSPC, ...) */
	return PT_EXIT_FAILURE;
}

static const struct {
	const char *key;
	int (*set)(struct pt_ctx *, const char *);
} roots[] = {
	{ "sysfs.root", pt_set_sysfs_root },
	{ "dev.root", pt_set_dev_root },
	{ "conf.dir", pt_set_conf_dir },
	{ "proc.root", pt_set_proc_root },
	{ "modules.dir", pt_set_modules_dir },
	{ "run.dir", pt_set_run_dir },
	{ "nvml.library", pt_set_nvml_library },
};

int util_apply_O(struct pt_ctx *ctx, const char *kv)
{
	const char *eq = strchr(kv, '=');

	if (!strncmp(kv, "lock.timeout=", 13)) {
		char *end;
		long v;

		errno = 0;
		v = strtol(kv + 13, &end, 10);
		if (!kv[13] || *end || errno || v < 0 || v > 86400 ||
		    pt_set_lock_timeout(ctx, (int)v) < 0) {
			fprintf(stderr, "pt: -O lock.timeout: '%s' is not a number of "
				"seconds from 0 to 86400\n", kv + 13);
			return -EINVAL;
		}
		return 0;
	}

	for (size_t i = 0; eq && i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (strlen(roots[i].key) != (size_t)(eq - kv) ||
		    strncmp(kv, roots[i].key, eq - kv))
			continue;
		if (roots[i].set(ctx, eq + 1) < 0) {
			fprintf(stderr, "pt: -O %s: '%s' is not an absolute path; "
				"give an absolute %s\n", roots[i].key, eq + 1,
				roots[i].set == pt_set_nvml_library ? "file" : "directory");
			return -EINVAL;
		}
		return 0;
	}
	fprintf(stderr, "pt: -O %s: unknown option; known: sysfs.root, dev.root, "
		"conf.dir, proc.root, modules.dir, run.dir (each =DIR), nvml.library=FILE, "
		"lock.timeout=SECONDS\n", kv);
	return -EINVAL;
}

/* Environment fronts for the roots, applied before -O so -O wins. */
static int apply_env(struct pt_ctx *ctx)
{
	static const struct {
		const char *env;
		int (*set)(struct pt_ctx *, const char *);
	} envs[] = {
		{ "PT_SYSFS_ROOT", pt_set_sysfs_root },
		{ "PT_DEV_ROOT", pt_set_dev_root },
		{ "PT_CONF_DIR", pt_set_conf_dir },
		{ "PT_PROC_ROOT", pt_set_proc_root },
		{ "PT_MODULES_DIR", pt_set_modules_dir },
		{ "PT_RUN_DIR", pt_set_run_dir },
		{ "PT_NVML_LIBRARY", pt_set_nvml_library },
	};

	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		const char *v = getenv(envs[i].env);

		if (v && *v && envs[i].set(ctx, v) < 0) {
			fprintf(stderr, "pt: %s='%s' is not an absolute path; "
				"set it to an absolute directory or unset it\n",
				envs[i].env, v);
			return -EINVAL;
		}
	}
	return 0;
}

/* Show the man page on a terminal; else (or without man) the usage text. */
static int show_help(const char *cmd, void (*usage_fn)(FILE *))
{
	char page[64];

	snprintf(page, sizeof(page), "pt-%s", cmd);
	if (isatty(STDOUT_FILENO)) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			int devnull = open("/dev/null", O_WRONLY);

			if (devnull >= 0)
				dup2(devnull, STDERR_FILENO);
			execlp("man", "man", page, (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			return PT_EXIT_OK;
	}
	usage_fn(stdout);
	return PT_EXIT_OK;
}

int util_common_opt(int c, const char *arg, struct pt_opts *o,
		  struct pt_ctx *ctx, const struct option *longopts,
		  const char *cmd, void (*usage_fn)(FILE *))
{
	switch (c) {
	case 'j':
		o->json = true;
		util_escape_json(true);
		return 1;
	case 'n':
		o->dry_run = true;
		return 1;
	case 'q':
		o->quiet = true;
		return 1;
	case 'v':
		o->verbose++;
		if (pt_get_log_priority(ctx) < 7)
			pt_set_log_priority(ctx, pt_get_log_priority(ctx) + 1 < 6 ?
					    6 : 7);
		return 1;
	case 'O':
		return util_apply_O(ctx, arg) < 0 ? PT_OPT_EXIT(PT_EXIT_USAGE) : 1;
	case 'h':
		return PT_OPT_EXIT(show_help(cmd, usage_fn));
	case PT_OPT_LIST_OPTS:
		for (const struct option *l = longopts; l->name; l++)
			printf("--%s\n", l->name);
		return PT_OPT_EXIT(PT_EXIT_OK);
	case '?':
		fprintf(stderr, "Try 'pt %s --help' for more information.\n", cmd);
		return PT_OPT_EXIT(PT_EXIT_USAGE);
	}
	return 0;
}

static const struct pt_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int run(const struct pt_cmd *c, int argc, char **argv)
{
	struct pt_ctx *ctx;
	int r;

	r = pt_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "pt: cannot create a library context: %s\n",
			strerror(-r));
		return PT_EXIT_FAILURE;
	}
	if (apply_env(ctx) < 0) {
		pt_unref(ctx);
		return PT_EXIT_USAGE;
	}
	/* getopt's own messages name argv[0]: make it "pt-scan", not "scan" */
	{
		char prog[64];

		snprintf(prog, sizeof(prog), "pt-%s", c->name);
		argv[0] = prog;
		r = c->fn(argc, argv, ctx);
	}
	pt_unref(ctx);
	return r;
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/');
	const struct pt_cmd *c;

	util_escape_stdio();	/* nothing printed reaches a terminal raw */
	prog = prog ? prog + 1 : argv[0];
	if (!strncmp(prog, "pt-", 3)) {
		c = find_cmd(prog + 3);
		if (!c) {
			fprintf(stderr, "pt: '%s' is not a pt command; see 'pt --help'\n",
				prog);
			return PT_EXIT_USAGE;
		}
		return run(c, argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return PT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pt %s\n", PT_VERSION);
		return PT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--list-cmds")) {
		for (size_t i = 0; i < N_COMMANDS; i++)
			printf("%s\n", commands[i].name);
		printf("help\n");
		return PT_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		char *hargv[] = { NULL, "--help", NULL };

		if (argc < 3) {
			usage(stdout);
			return PT_EXIT_OK;
		}
		c = find_cmd(argv[2]);
		if (!c) {
			fprintf(stderr, "pt: '%s' is not a pt command; see 'pt --help'\n",
				argv[2]);
			return PT_EXIT_USAGE;
		}
		hargv[0] = argv[2];
		return run(c, 2, hargv);
	}
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "pt: '%s' is not a pt command; see 'pt --help'\n",
			argv[1]);
		return PT_EXIT_USAGE;
	}
	return run(c, argc - 1, argv + 1);
}
