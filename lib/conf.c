// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INI files and the locked, atomic state store under the conf dir.
 *
 * Files are parsed with inih; a second, raw view of each file (its lines)
 * lets the tools edit a key or a section and keep everything else - the
 * admin's comments, blank lines, order - byte for byte.
 *
 * The line model mirrors inih's ini_parse_stream() (Debian's libinih1 r55
 * with its default options), so that both views agree:
 *  - a line whose first non-blank character is '#' or ';' is a comment,
 *    also when indented;
 *  - on a "key = value" line (':' works too) a ';' preceded by whitespace
 *    starts a comment; a ';' elsewhere is part of the value;
 *  - a non-blank, indented line after a key continues that key's value
 *    (configparser style) - also across blank and comment lines - until
 *    the next section header; the parts are joined with one space. An
 *    indented "[x]" or "k = v" there is a continuation too. inih does not
 *    strip ';' comments on continuation lines, so we refuse them there;
 *  - inih reads a line into a buffer of INI_MAX_LINE (200) bytes and
 *    splits longer lines, so a line of more than 198 characters is an
 *    error; long values are written as continuation lines;
 *  - inih copies section names into 50 bytes; the section name used here
 *    is the full text between '[' and ']' taken from the raw line.
 * Stricter than inih: keys before any section, duplicate keys and
 * sections, empty names, text after a section's ']', indented section
 * headers (inih reads "  [x]" as a header or, after a key, as text of
 * its value; refusing it keeps every edit from changing how a following
 * line reads).
 *
 * The store: groups.d/<group>.ini (the admin's groups) and
 * applied.d/<group>.ini (what pt-group apply changed on this host) below
 * the conf dir, every path built here relative to a directory fd, every
 * name validated. Writers hold flock(LOCK_EX) on <conf>/.lock for the
 * whole read-modify-write; every file is replaced by rename(2) of a fully
 * written, fsynced temp file ".<name>.XXXXXX" in its own directory, so
 * readers need no lock. Nothing below the conf dir is followed through a
 * symlink: a symlinked state file is an error that names the file and
 * says to replace the link with a copy (a rename would replace the link
 * itself, silently cutting it).
 *
 * Who may touch the state. pt runs as root and its state steers root's
 * writes to the kernel, so, as root (like sshd's StrictModes), the conf
 * dir, groups.d/, applied.d/, every state file and the lock must be owned
 * by root and writable by no group or other user; anything else is
 * refused with the chown/chmod that fixes it, before a byte is parsed.
 * The checks are made on the open fds, so a rename cannot swap what was
 * checked. Directories are created 0755 and chmod'ed only through an fd
 * of the directory just created, opened O_NOFOLLOW|O_DIRECTORY.
 *
 * A tenant's file (tenants.d/<tenant>.ini, pt_ini_file.restricted) is
 * root's too, but readable by the tenant's Unix group: 0640 root:GROUP,
 * so one tenant's admins never read another's grants. A user who is not
 * root reads the store without the tenant files it may not open (they are
 * listed in pt_store.unreadable); root is never refused one.
 *
 * The lock is root-only: <conf>/.lock is created O_EXCL|O_NOFOLLOW mode
 * 0600 and chmod'ed only by the process that created it; a lock with
 * more than one link (a hard link to some other file) is refused. The
 * holder writes "<pid> <command line>" into it; a writer waiting for a
 * held lock gives up after the context's lock timeout (-ETIMEDOUT) with
 * a message naming the holder.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#define GROUPS_DIR	"groups.d"
#define APPLIED_DIR	"applied.d"
#define VMS_DIR		"vms.d"		/* pt-attach: a VM's device requests */
#define TENANTS_DIR	"tenants.d"	/* pt-tenant: tenants and their grants */
#define LOCK_FILE	".lock"
#define FILE_MAX	(1024 * 1024)	/* larger state files are refused */
#define TMP_SUFFIX_LEN	6
#define CONT_INDENT	"        "	/* continuation lines: 8 spaces */

/* Longest line inih reads whole: the text, '\n' and NUL in INI_MAX_LINE. */
#define LINE_MAX_CHARS	(INI_MAX_LINE - 2)

enum line_kind {
	L_BLANK,
	L_COMMENT,
	L_SECTION,
	L_BADSECTION,	/* '[' without ']' */
	L_KEY,		/* everything else inih hands to name[=:]value */
	L_CONT,
};

/*
 * Where a file's parsed views live: its lines, sections, keys and values
 * are carved out of a few large blocks and freed with them, so that a
 * store of a thousand files is not a hundred thousand malloc() and free()
 * calls. An edit parses into a new arena and drops the old one.
 */
struct arena {
	struct arena *next;
	size_t used, cap;
	void *data[];		/* what is kept here: pointers, size_t, int, char */
};

#define ARENA_ALIGN	sizeof(void *)

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *n = a->next;

		free(a);
		a = n;
	}
}

/* A first block of cap bytes, sized to what a parse will need. */
static int arena_init(struct arena **a, size_t cap)
{
	struct arena *b = malloc(sizeof(*b) + cap);

	if (!b)
		return -ENOMEM;
	b->next = *a;
	b->used = 0;
	b->cap = cap;
	*a = b;
	return 0;
}

/* n bytes, aligned for a pointer, from *a (a new block when full); NULL: ENOMEM. */
static void *arena_alloc(struct arena **a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
	struct arena *b = *a;
	void *p;

	if (!b || b->cap - b->used < need) {
		size_t cap = b ? b->cap * 2 : 1024;

		if (cap < need)
			cap = need;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = *a;
		b->used = 0;
		b->cap = cap;
		*a = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

static char *arena_strndup(struct arena **a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * Room for one more item in an array of n items (each size bytes) kept
 * in an arena: its capacity is the power of two at or above n, so it
 * moves when n reaches it. NULL: ENOMEM (the array unchanged).
 */
static void *arena_grow(struct arena **a, void *arr, size_t n, size_t size)
{
	void *na;

	if (n & (n - 1))
		return arr;		/* room left */
	na = arena_alloc(a, (n ? 2 * n : 1) * size);
	if (na && n)
		memcpy(na, arr, n * size);
	return na;
}

/* A pt_ini_file with what only this file needs. */
struct ini_file {
	struct pt_ini_file pub;
	struct arena *arena;		/* lines, sections, kinds */
	unsigned char *kinds;		/* enum line_kind per line */
	bool dropped;			/* views dropped: parse orig again */
	bool on_disk;			/* the store read it from disk */
	mode_t disk_mode;		/* as read: its mode and group */
	gid_t disk_gid;
	bool have_stat;			/* the stat it was read with (the record's key) */
	struct stat disk_stat;
};

static struct ini_file *priv(struct pt_ini_file *f)
{
	return (struct ini_file *)f;
}

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* ---- parsing ------------------------------------------------------------ */

static bool is_space(char c)
{
	return isspace((unsigned char)c);
}

static bool has_bom(const char *s)
{
	return INI_ALLOW_BOM && (unsigned char)s[0] == 0xEF &&
	       (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF;
}

/*
 * Classify a raw line as inih will. prev_key: inih has a previous key
 * name in this section (its prev_name). For sections, *name and *namelen get
 * the text between '[' and ']' and *junk whether other text follows.
 */
static enum line_kind classify(const char *line, bool first, bool prev_key,
			       const char **name, size_t *namelen, bool *junk)
{
	const char *start = line, *end, *s;
	bool was_space = false;

	if (first && has_bom(line))
		start += 3;
	end = start + strlen(start);
	while (end > start && is_space(end[-1]))
		end--;
	while (start < end && is_space(*start))
		start++;
	if (start == end)
		return L_BLANK;
	if (strchr(INI_START_COMMENT_PREFIXES, *start))
		return L_COMMENT;
	if (INI_ALLOW_MULTILINE && prev_key && start > line)
		return L_CONT;
	if (*start != '[')
		return L_KEY;
	for (s = start + 1; s < end && *s != ']'; s++) {
		if (INI_ALLOW_INLINE_COMMENTS && was_space &&
		    strchr(INI_INLINE_COMMENT_PREFIXES, *s))
			break;
		was_space = is_space(*s);
	}
	if (s >= end || *s != ']')
		return L_BADSECTION;
	if (name) {
		*name = start + 1;
		*namelen = s - (start + 1);
	}
	if (junk) {
		for (s++; s < end && is_space(*s); s++)
			;
		*junk = s < end && *s != ';' && *s != '#';
	}
	return L_SECTION;
}

struct pstate {
	struct arena **arena;
	const char *relpath;
	char **lines;
	size_t n_lines;
	size_t next;			/* index of the next line to feed */
	unsigned char *kinds;
	bool prev_key;
	struct pt_ini_section *secs;
	size_t n_secs;
	ssize_t cur;			/* current section index, -1: none */
	int err_line;			/* first error found here, 0: none */
	int err_no;
	char *err;
	size_t errlen;
	bool stop;
};

__attribute__((format(printf, 3, 4)))
static void perr(struct pstate *ps, int err_no, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->err_line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err_line = (int)ps->next;
	ps->err_no = err_no;
	seterr(ps->err, ps->errlen, "%s:%zu: %s", ps->relpath, ps->next, msg);
}

static void add_section(struct pstate *ps, const char *name, size_t len)
{
	struct pt_ini_section *n;

	for (size_t i = 0; i < ps->n_secs; i++) {
		if (strlen(ps->secs[i].name) == len &&
		    !memcmp(ps->secs[i].name, name, len)) {
			perr(ps, EINVAL, "duplicate section [%s] (first on line %d); merge the two",
			     ps->secs[i].name, ps->secs[i].line);
			ps->cur = (ssize_t)i;
			return;
		}
	}
	n = arena_grow(ps->arena, ps->secs, ps->n_secs, sizeof(*n));
	if (!n)
		goto nomem;
	ps->secs = n;
	n = &ps->secs[ps->n_secs];
	memset(n, 0, sizeof(*n));
	n->name = arena_strndup(ps->arena, name, len);
	if (!n->name)
		goto nomem;
	n->line = (int)ps->next;
	ps->cur = (ssize_t)ps->n_secs++;
	return;
nomem:
	perr(ps, ENOMEM, "out of memory");
	ps->stop = true;
}

/* inih's reader: feeds our lines one at a time, so we know the line. */
static char *feed_line(char *str, int num, void *stream)
{
	struct pstate *ps = stream;
	const char *line, *name = NULL;
	size_t len, namelen = 0;
	bool junk = false;
	enum line_kind k;

	if (ps->stop || ps->next >= ps->n_lines)
		return NULL;
	line = ps->lines[ps->next];
	len = strlen(line);
	ps->next++;
	if (num < 2 || len > (size_t)num - 2) {
		perr(ps, EINVAL, "line too long (%zu characters, at most %d); continue a long value on indented lines",
		     len, num - 2);
		ps->stop = true;
		return NULL;
	}
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';

	k = classify(line, ps->next == 1, ps->prev_key, &name, &namelen, &junk);
	ps->kinds[ps->next - 1] = k;
	if (k == L_SECTION) {
		ps->prev_key = false;
		if (is_space(line[ps->next == 1 && has_bom(line) ? 3 : 0]))
			perr(ps, EINVAL, "indented section header; start it in the first column");
		else if (!namelen)
			perr(ps, EINVAL, "empty section name '[]'");
		else if (junk)
			perr(ps, EINVAL, "unexpected text after ']'; put a comment on its own line starting with '#'");
		add_section(ps, name, namelen);
	}
	return str;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct pstate *ps = user;
	enum line_kind k = ps->kinds[ps->next - 1];
	struct pt_ini_section *sec;
	struct pt_ini_kv *kv;
	size_t n;
	char *v;

	(void)section;		/* truncated by inih; ours is whole */
	if (k == L_KEY) {
		ps->prev_key = name[0] != '\0';
		if (!name[0]) {
			perr(ps, EINVAL, "missing key name before '='");
			return 0;
		}
		if (ps->cur < 0) {
			perr(ps, EINVAL, "key '%s' before any [section] header; add the header above it",
			     name);
			return 0;
		}
		sec = &ps->secs[ps->cur];
		for (size_t i = 0; i < sec->n_kv; i++) {
			if (!strcmp(sec->kv[i].key, name)) {
				perr(ps, EINVAL, "duplicate key '%s' in [%s] (first on line %d); keep one",
				     name, sec->name, sec->kv[i].line);
				return 0;
			}
		}
		kv = arena_grow(ps->arena, sec->kv, sec->n_kv, sizeof(*kv));
		if (!kv)
			goto nomem;
		sec->kv = kv;
		kv = &sec->kv[sec->n_kv];
		kv->key = arena_strndup(ps->arena, name, strlen(name));
		kv->value = arena_strndup(ps->arena, value, strlen(value));
		kv->line = (int)ps->next;
		if (!kv->key || !kv->value)
			goto nomem;
		sec->n_kv++;
		return 1;
	}
	if (k == L_CONT) {
		/* A continuation of a key we refused: that error stands. */
		if (ps->cur < 0 || !ps->secs[ps->cur].n_kv)
			return ps->err_line ? 1 : 0;
		sec = &ps->secs[ps->cur];
		kv = &sec->kv[sec->n_kv - 1];
		for (const char *p = value; *p; p++) {
			if (p > value && *p == ';' && is_space(p[-1])) {
				perr(ps, EINVAL, "';' comment on a continuation line (of '%s'); put the comment on its own line",
				     kv->key);
				return 0;
			}
		}
		n = strlen(kv->value);
		v = arena_alloc(ps->arena, n + 1 + strlen(value) + 1);
		if (!v)
			goto nomem;
		memcpy(v, kv->value, n);
		kv->value = v;
		if (n)
			v[n++] = ' ';
		strcpy(v + n, value);
		return 1;
	}
	/* Our model and inih disagree: refuse rather than guess. */
	perr(ps, EINVAL, "cannot parse this line");
	return 0;
nomem:
	perr(ps, ENOMEM, "out of memory");
	ps->stop = true;
	return 0;
}

/*
 * Parse lines into sections, allocated in *arena. 0, or -errno with
 * "<relpath>:<line>: <what>" in err. *kinds gets the class of each line.
 */
static int parse_lines(struct arena **arena, const char *relpath, char **lines,
		       size_t n_lines, struct pt_ini_section **secs, size_t *n_secs,
		       unsigned char **kinds, char *err, size_t errlen)
{
	struct pstate ps = {
		.arena = arena, .relpath = relpath, .lines = lines,
		.n_lines = n_lines, .cur = -1, .err = err, .errlen = errlen,
	};
	int r;

	ps.kinds = arena_alloc(arena, n_lines ? n_lines : 1);
	if (ps.kinds)
		memset(ps.kinds, 0, n_lines ? n_lines : 1);
	if (!ps.kinds) {
		seterr(err, errlen, "%s: out of memory", relpath);
		return -ENOMEM;
	}
	r = ini_parse_stream(feed_line, &ps, on_key, &ps);
	if (r < 0 && !ps.err_line) {
		seterr(err, errlen, "%s: out of memory", relpath);
		ps.err_line = 1;
		ps.err_no = ENOMEM;
	} else if (r > 0 && (!ps.err_line || r < ps.err_line)) {
		/* inih's own syntax error came first. */
		const char *what = ps.kinds[r - 1] == L_BADSECTION ?
			"missing ']' in section header; expected '[section]'" :
			"expected 'key = value' or '[section]'";

		seterr(err, errlen, "%s:%d: %s", relpath, r, what);
		ps.err_line = r;
		ps.err_no = EINVAL;
	}
	if (ps.err_line)
		return -ps.err_no;	/* the caller drops the arena */
	*secs = ps.secs;
	*n_secs = ps.n_secs;
	*kinds = ps.kinds;
	return 0;
}

static void free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/*
 * Split text at '\n' (a final newline ends the last line) into lines
 * that live in *arena.
 */
static int split_lines_in(struct arena **arena, const char *text,
			  char ***out, size_t *n_out)
{
	size_t len = strlen(text), n = 0, max = 1;
	char **lines, *p, *e;

	for (const char *q = text; (q = strchr(q, '\n')); q++)
		max++;
	/*
	 * One block for the whole parse, as a rule: the text, the lines, and
	 * about as much again for sections, keys and values.
	 */
	if (!*arena && arena_init(arena, 2 * len + max * (sizeof(*lines) + 1) + 512) < 0)
		return -ENOMEM;
	lines = arena_alloc(arena, max * sizeof(*lines));
	p = lines ? arena_strndup(arena, text, len) : NULL;
	if (!p)
		return -ENOMEM;
	while (*p) {
		e = strchr(p, '\n');
		lines[n++] = p;
		if (!e)
			break;
		*e = '\0';
		p = e + 1;
	}
	*out = lines;
	*n_out = n;
	return 0;
}

/* Split text at '\n' (a final newline ends the last line). */
static int split_lines(const char *text, char ***out, size_t *n_out)
{
	char **lines = NULL, **nl;
	size_t n = 0;
	const char *p = text, *e;

	while (*p) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		nl = realloc(lines, (n + 1) * sizeof(*nl));
		if (!nl)
			goto nomem;
		lines = nl;
		lines[n] = strndup(p, e - p);
		if (!lines[n])
			goto nomem;
		n++;
		p = *e ? e + 1 : e;
	}
	*out = lines;
	*n_out = n;
	return 0;
nomem:
	free_lines(lines, n);
	return -ENOMEM;
}

int pt__ini_parse(const char *relpath, const char *text,
		  struct pt_ini_file **out, char *err, size_t errlen)
{
	struct ini_file *f;
	int r;

	if (!relpath || !text)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	f->pub.relpath = strdup(relpath);
	f->pub.orig = strdup(text);
	if (!f->pub.relpath || !f->pub.orig ||
	    split_lines_in(&f->arena, text, &f->pub.lines, &f->pub.n_lines) < 0)
		goto nomem;
	r = parse_lines(&f->arena, relpath, f->pub.lines, f->pub.n_lines,
			&f->pub.sections, &f->pub.n_sections, &f->kinds,
			err, errlen);
	if (r < 0) {
		pt__ini_free(&f->pub);
		return r;
	}
	*out = &f->pub;
	return 0;
nomem:
	if (f)
		pt__ini_free(&f->pub);
	seterr(err, errlen, "%s: out of memory", relpath);
	return -ENOMEM;
}

void pt__ini_free(struct pt_ini_file *f)
{
	if (!f)
		return;
	arena_free(priv(f)->arena);
	free(f->relpath);
	free(f->orig);
	free(f);
}

void pt__ini_drop_views(struct pt_ini_file *f)
{
	if (!f || f->dirty || priv(f)->dropped)
		return;
	arena_free(priv(f)->arena);
	priv(f)->arena = NULL;
	priv(f)->kinds = NULL;
	f->lines = NULL;
	f->n_lines = 0;
	f->sections = NULL;
	f->n_sections = 0;
	priv(f)->dropped = true;
}

int pt__ini_views(struct pt_ini_file *f)
{
	struct ini_file *p = priv(f);
	int r;

	if (!f || !p->dropped)
		return 0;
	/* it parsed when read: only memory can fail now */
	r = split_lines_in(&p->arena, f->orig, &f->lines, &f->n_lines);
	if (r == 0)
		r = parse_lines(&p->arena, f->relpath, f->lines, f->n_lines,
				&f->sections, &f->n_sections, &p->kinds, NULL, 0);
	if (r < 0) {
		arena_free(p->arena);
		p->arena = NULL;
		f->lines = NULL;
		f->n_lines = 0;
		f->sections = NULL;
		f->n_sections = 0;
		return r == -ENOMEM ? r : -EIO;
	}
	p->dropped = false;
	return 0;
}

struct pt_ini_section *pt__ini_find_section(struct pt_ini_file *f,
					    const char *section)
{
	if (!f || !section || pt__ini_views(f) < 0)
		return NULL;
	for (size_t i = 0; i < f->n_sections; i++)
		if (!strcmp(f->sections[i].name, section))
			return &f->sections[i];
	return NULL;
}

static struct pt_ini_kv *find_kv(struct pt_ini_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->n_kv; i++)
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	return NULL;
}

const char *pt__ini_get(struct pt_ini_file *f, const char *section,
			const char *key)
{
	struct pt_ini_kv *kv;

	if (!key)
		return NULL;
	kv = find_kv(pt__ini_find_section(f, section), key);
	return kv ? kv->value : NULL;
}

/* ---- line-preserving edits ---------------------------------------------- */

/* Last line (0-based) of a key: its own or its last continuation line. */
static size_t kv_end(struct pt_ini_file *f, const struct pt_ini_kv *kv)
{
	size_t last = kv->line - 1;
	const unsigned char *kinds = priv(f)->kinds;

	for (size_t i = last + 1; i < f->n_lines; i++) {
		if (kinds[i] == L_CONT)
			last = i;
		else if (kinds[i] != L_BLANK && kinds[i] != L_COMMENT)
			break;
	}
	return last;
}

/*
 * Replace lines [from, to) of f with add[0..n_add) (strings copied) and
 * re-parse; when csec is given, the result must read csec/ckey = cval.
 * On failure f is unchanged.
 */
static int edit_lines(struct pt_ini_file *f, size_t from, size_t to,
		  char *const *add, size_t n_add, const char *csec,
		  const char *ckey, const char *cval)
{
	size_t n, j = 0;
	struct arena *arena = NULL;
	struct pt_ini_section *secs;
	unsigned char *kinds;
	size_t n_secs;
	char **lines;
	int r = pt__ini_views(f);

	if (r < 0)
		return r;
	n = f->n_lines - (to - from) + n_add;
	lines = arena_alloc(&arena, (n ? n : 1) * sizeof(*lines));
	if (!lines)
		goto nomem;
	for (size_t i = 0; i < from; i++)
		if (!(lines[j++] = arena_strndup(&arena, f->lines[i], strlen(f->lines[i]))))
			goto nomem;
	for (size_t i = 0; i < n_add; i++)
		if (!(lines[j++] = arena_strndup(&arena, add[i], strlen(add[i]))))
			goto nomem;
	for (size_t i = to; i < f->n_lines; i++)
		if (!(lines[j++] = arena_strndup(&arena, f->lines[i], strlen(f->lines[i]))))
			goto nomem;
	r = parse_lines(&arena, f->relpath, lines, n, &secs, &n_secs, &kinds, NULL, 0);
	if (r < 0) {
		arena_free(arena);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (csec) {
		struct ini_file check = {
			.pub = { .sections = secs, .n_sections = n_secs },
		};
		const char *v = pt__ini_get(&check.pub, csec, ckey);

		if (!v || strcmp(v, cval)) {
			arena_free(arena);
			return -EINVAL;
		}
	}
	arena_free(priv(f)->arena);
	priv(f)->arena = arena;
	f->lines = lines;
	f->n_lines = n;
	f->sections = secs;
	f->n_sections = n_secs;
	priv(f)->kinds = kinds;
	f->dirty = true;
	return 0;
nomem:
	arena_free(arena);
	return -ENOMEM;
}

static bool key_is_writable(const char *key)
{
	if (!key || !*key)
		return false;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
			return false;
	return true;
}

static bool section_is_writable(const char *s)
{
	if (!s || !*s || strlen(s) + 2 > LINE_MAX_CHARS)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == ']' || iscntrl((unsigned char)*p))
			return false;
		if (*p == ';' && p > s && is_space(p[-1]))
			return false;
	}
	return true;
}

/* A value inih gives back unchanged from "key = value". */
static bool value_is_writable(const char *v)
{
	size_t len = strlen(v);

	if (len && (is_space(v[0]) || is_space(v[len - 1])))
		return false;
	for (const char *p = v; *p; p++) {
		if (iscntrl((unsigned char)*p) && *p != '\t')
			return false;
		if (*p == ';' && p > v && is_space(p[-1]))
			return false;
	}
	return true;
}

/*
 * The lines for "key = value": one line, or split at single spaces into
 * continuation lines when too long. A continuation may not start with a
 * comment character. -EINVAL when no split fits.
 */
static int kv_lines(const char *key, const char *value, char ***out,
		    size_t *n_out)
{
	size_t n = 0, len = strlen(value), pos = 0, klen = strlen(key);
	char **lines = NULL, **nl;
	bool first = true;

	while (first || pos < len) {
		size_t prefix = first ? klen + 3 : strlen(CONT_INDENT);
		size_t room = LINE_MAX_CHARS > prefix ? LINE_MAX_CHARS - prefix : 0;
		size_t take = len - pos;

		if (take > room) {
			/* The last single space within room that may split. */
			take = 0;
			for (size_t i = pos + room; i > pos; i--) {
				const char *c = value + i;

				if (*c == ' ' && !is_space(c[-1]) && !is_space(c[1]) &&
				    !strchr(INI_START_COMMENT_PREFIXES, c[1])) {
					take = i - pos;
					break;
				}
			}
			if (!take)
				goto inval;
		}
		nl = realloc(lines, (n + 1) * sizeof(*nl));
		if (!nl)
			goto nomem;
		lines = nl;
		if (first && take == 0)
			lines[n] = xasprintf("%s =", key);
		else if (first)
			lines[n] = xasprintf("%s = %.*s", key, (int)take,
					     value + pos);
		else
			lines[n] = xasprintf(CONT_INDENT "%.*s", (int)take,
					     value + pos);
		if (!lines[n])
			goto nomem;
		n++;
		pos += take;
		if (pos < len)
			pos++;		/* the space the split dropped */
		first = false;
	}
	*out = lines;
	*n_out = n;
	return 0;
inval:
	free_lines(lines, n);
	return -EINVAL;
nomem:
	free_lines(lines, n);
	return -ENOMEM;
}

int pt__ini_set(struct pt_ini_file *f, const char *section, const char *key,
		const char *value)
{
	struct pt_ini_section *sec;
	struct pt_ini_kv *kv;
	char **add = NULL, **all = NULL;
	size_t n_add = 0, from, to;
	int r;

	if (!f || !section_is_writable(section) || !key_is_writable(key) ||
	    !value || !value_is_writable(value))
		return -EINVAL;
	r = pt__ini_views(f);
	if (r < 0)
		return r;
	r = kv_lines(key, value, &add, &n_add);
	if (r < 0)
		return r;
	sec = pt__ini_find_section(f, section);
	kv = find_kv(sec, key);
	if (kv) {
		from = kv->line - 1;
		to = kv_end(f, kv) + 1;
	} else if (sec) {
		from = sec->n_kv ? kv_end(f, &sec->kv[sec->n_kv - 1]) + 1 :
				   (size_t)sec->line;
		to = from;
	} else {
		/* A new section at the end, after one blank line. */
		bool blank = f->n_lines && priv(f)->kinds[f->n_lines - 1] != L_BLANK;
		size_t k = 0;

		all = calloc(n_add + 2, sizeof(*all));
		if (!all) {
			r = -ENOMEM;
			goto out;
		}
		if (blank)
			all[k++] = "";
		all[k] = xasprintf("[%s]", section);
		if (!all[k]) {
			r = -ENOMEM;
			goto out;
		}
		k++;
		memcpy(all + k, add, n_add * sizeof(*add));
		r = edit_lines(f, f->n_lines, f->n_lines, all, k + n_add,
			       section, key, value);
		free(all[blank ? 1 : 0]);
		goto out;
	}
	r = edit_lines(f, from, to, add, n_add, section, key, value);
out:
	free(all);
	free_lines(add, n_add);
	return r;
}

int pt__ini_unset(struct pt_ini_file *f, const char *section, const char *key)
{
	struct pt_ini_kv *kv;

	if (!f || !section || !key)
		return -EINVAL;
	kv = find_kv(pt__ini_find_section(f, section), key);
	if (!kv)
		return -ENOENT;
	return edit_lines(f, kv->line - 1, kv_end(f, kv) + 1, NULL, 0, NULL,
			  NULL, NULL);
}

/* First line of a section's block: the comments directly above its header. */
static size_t block_start(struct pt_ini_file *f, size_t header)
{
	while (header > 0 && priv(f)->kinds[header - 1] == L_COMMENT)
		header--;
	return header;
}

/*
 * A section's block: the comment lines directly above its header (no
 * blank line between), the header, and every line up to the next
 * section's block, less trailing blank lines. Removing it also drops one
 * blank line where two would meet.
 */
int pt__ini_remove_section(struct pt_ini_file *f, const char *section)
{
	struct pt_ini_section *sec = pt__ini_find_section(f, section);
	const unsigned char *kinds;
	size_t from, to, i;

	if (!sec)
		return -ENOENT;
	kinds = priv(f)->kinds;
	from = block_start(f, sec->line - 1);
	to = f->n_lines;
	for (i = sec->line; i < f->n_lines; i++) {
		if (kinds[i] == L_SECTION || kinds[i] == L_BADSECTION) {
			to = block_start(f, i);
			break;
		}
	}
	while (to > (size_t)sec->line && kinds[to - 1] == L_BLANK)
		to--;
	if ((from == 0 || kinds[from - 1] == L_BLANK) &&
	    (to == f->n_lines || kinds[to] == L_BLANK)) {
		if (to < f->n_lines)
			to++;
		else if (from > 0)
			from--;
	}
	return edit_lines(f, from, to, NULL, 0, NULL, NULL, NULL);
}

char *pt__ini_render(struct pt_ini_file *f)
{
	size_t len = 1, off = 0;
	char *s;

	if (pt__ini_views(f) < 0)
		return NULL;
	for (size_t i = 0; i < f->n_lines; i++)
		len += strlen(f->lines[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < f->n_lines; i++) {
		size_t l = strlen(f->lines[i]);

		memcpy(s + off, f->lines[i], l);
		off += l;
		s[off++] = '\n';
	}
	s[off] = '\0';
	return s;
}

/* ---- did you mean ------------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein plus transpositions). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d;
	size_t *mem, *row0, *row1, *row2, *t;

	mem = calloc(3 * (lb + 1), sizeof(size_t));
	if (!mem)
		return (size_t)-1;
	row0 = mem;		/* the row before the previous one */
	row1 = row0 + lb + 1;	/* previous row */
	row2 = row1 + lb + 1;	/* current row */
	for (size_t j = 0; j <= lb; j++)
		row1[j] = j;
	for (size_t i = 1; i <= la; i++) {
		row2[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t v = row1[j - 1] + cost;

			if (row1[j] + 1 < v)
				v = row1[j] + 1;
			if (row2[j - 1] + 1 < v)
				v = row2[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    row0[j - 2] + 1 < v)
				v = row0[j - 2] + 1;
			row2[j] = v;
		}
		t = row0;
		row0 = row1;
		row1 = row2;
		row2 = t;
	}
	d = row1[lb];
	free(mem);
	return d;
}

const char *pt__closest(const char *word, const char *const *candidates)
{
	size_t limit, best_d = (size_t)-1;
	const char *best = NULL;

	if (!word || !candidates)
		return NULL;
	limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);
		size_t longest = strlen(word) > strlen(candidates[i]) ?
				 strlen(word) : strlen(candidates[i]);

		/* Replacing every character is no suggestion ("a" -> "b"). */
		if (d > limit || d >= longest)
			continue;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/* ---- the store ---------------------------------------------------------- */

/* The store's directories below the conf dir, in the order they are read. */
static const char *const store_dirs[] = { GROUPS_DIR, APPLIED_DIR, VMS_DIR, TENANTS_DIR };
#define N_DIRS	(sizeof(store_dirs) / sizeof(store_dirs[0]))

/* The index in store_dirs of relpath's directory ("<dir>/..."), or -1. */
static int relpath_dir(const char *relpath)
{
	for (size_t i = 0; relpath && i < N_DIRS; i++) {
		size_t n = strlen(store_dirs[i]);

		if (!strncmp(relpath, store_dirs[i], n) && relpath[n] == '/')
			return (int)i;
	}
	return -1;
}

/*
 * "groups.d/<name>.ini" or "applied.d/<name>.ini" with a valid name: a
 * pointer to the file name.
 */
static const char *relpath_file(const char *relpath)
{
	const char *name;
	size_t len;
	char stem[PT_NAME_MAX + 1];
	int d = relpath_dir(relpath);

	if (d < 0)
		return NULL;
	name = relpath + strlen(store_dirs[d]) + 1;
	len = strlen(name);
	if (len <= 4 || len - 4 > PT_NAME_MAX || strcmp(name + len - 4, ".ini"))
		return NULL;
	memcpy(stem, name, len - 4);
	stem[len - 4] = '\0';
	return pt__name_is_valid(stem) ? name : NULL;
}

int pt__store_applied_relpath(const char *group, char *buf, size_t len)
{
	int n;

	if (!group || !buf || !pt__name_is_valid(group))
		return -EINVAL;
	n = snprintf(buf, len, APPLIED_DIR "/%s.ini", group);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

/* A writer's temp file in dir: ".<stem>.ini.XXXXXX". */
static bool is_temp_name(const char *dir, const char *name)
{
	size_t len = strlen(name), dl = strlen(dir), stem;
	char rel[sizeof(APPLIED_DIR) + PT_NAME_MAX + 8];

	if (name[0] != '.' || len < 1 + 5 + 1 + TMP_SUFFIX_LEN ||
	    name[len - TMP_SUFFIX_LEN - 1] != '.')
		return false;
	for (size_t i = len - TMP_SUFFIX_LEN; i < len; i++)
		if (!isalnum((unsigned char)name[i]))
			return false;
	/* "<dir>/<stem>.ini" from ".<stem>.ini.XXXXXX" */
	stem = len - TMP_SUFFIX_LEN - 2;
	if (dl + 1 + stem + 1 > sizeof(rel))
		return false;
	memcpy(rel, dir, dl);
	rel[dl] = '/';
	memcpy(rel + dl + 1, name + 1, stem);
	rel[dl + 1 + stem] = '\0';
	return relpath_file(rel) != NULL;
}

static void path_err(struct pt_ctx *ctx, char *err, size_t errlen,
		     const char *rel, int e)
{
	const char *dir = ctx->conf_dir;

	if (e == EACCES || e == EPERM || e == EROFS)
		seterr(err, errlen, "%s%s%s: %s; run as root or use -O conf.dir=DIR",
		       dir, rel ? "/" : "", rel ? rel : "", strerror(e));
	else if (e == ELOOP)
		seterr(err, errlen, "%s%s%s: is a symbolic link, which state files never follow; replace it with a real directory or file",
		       dir, rel ? "/" : "", rel ? rel : "");
	else
		seterr(err, errlen, "%s%s%s: %s", dir, rel ? "/" : "",
		       rel ? rel : "", strerror(e));
}

static int store_add(struct pt_store *st, struct pt_ini_file *f)
{
	struct pt_ini_file **n = st->files;
	size_t i;

	if (st->n_files == st->cap_files) {
		size_t cap = st->cap_files ? 2 * st->cap_files : 16;

		n = realloc(st->files, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		st->files = n;
		st->cap_files = cap;
	}
	/* Keep the files sorted by path. */
	for (i = st->n_files; i > 0 && strcmp(n[i - 1]->relpath, f->relpath) > 0; i--)
		n[i] = n[i - 1];
	n[i] = f;
	st->n_files++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- trust -------------------------------------------------------------- */

/*
 * The seam for tenant directories: a relpath below the conf dir that a
 * tenant's admins may write. The store reads none: each tenant's own
 * directory, tenants.d/<tenant>.d/ (2770 root:<admins>), holds its VMs'
 * requests and leases and is read by tenantdir.c as untrusted input
 * (O_NOFOLLOW|O_NONBLOCK relative to its fd, regular files with one link,
 * size-limited, parsed strictly, every unit checked against the grants).
 * The store skips those directories (their names do not end in .ini), so
 * every path it reads must be root's alone.
 */
static bool trust_exempt(const char *rel)
{
	(void)rel;
	return false;
}

/*
 * As root: the object behind fd (rel below the conf dir, NULL for the
 * dir itself) must be owned by root and not writable by group or others;
 * the lock not readable by them either. 0 or -EINVAL with err set.
 */
static int check_trust_stat(struct pt_store *st, int fd, const struct stat *known,
			    const char *rel, mode_t forbidden, char *err, size_t errlen)
{
	const char *dir = st->ctx->conf_dir;
	struct stat sb;

	if (st->euid != 0 || (rel && trust_exempt(rel)))
		return 0;
	if (known) {
		sb = *known;
	} else if (fstat(fd, &sb) < 0) {
		path_err(st->ctx, err, errlen, rel, errno);
		return -errno;
	}
	if (sb.st_uid != 0) {
		seterr(err, errlen, "%s%s%s: owned by uid %u, not root; state that root acts on must be root's alone: chown root:root %s%s%s, or remove it if you did not put it there",
		       dir, rel ? "/" : "", rel ? rel : "", (unsigned int)sb.st_uid,
		       dir, rel ? "/" : "", rel ? rel : "");
		return -EINVAL;
	}
	if (sb.st_mode & forbidden) {
		seterr(err, errlen, "%s%s%s: mode %04o lets %s; state that root acts on must be root's alone: chmod %s %s%s%s",
		       dir, rel ? "/" : "", rel ? rel : "",
		       (unsigned int)(sb.st_mode & 07777),
		       forbidden == 077 ? "other users open it" :
		       "other users write it", forbidden == 077 ? "600" : "go-w",
		       dir, rel ? "/" : "", rel ? rel : "");
		return -EINVAL;
	}
	return 0;
}

static int check_trust(struct pt_store *st, int fd, const char *rel,
		       mode_t forbidden, char *err, size_t errlen)
{
	return check_trust_stat(st, fd, NULL, rel, forbidden, err, errlen);
}

/*
 * mkdirat(dfd, name, 0755) and, when this call created it, fchmod 0755
 * (whatever the umask) through an fd of that very directory: never
 * through a name a symlink could redirect. 1 created, 0 existed, -errno.
 */
static int mkdir_0755(int dfd, const char *name)
{
	int fd;

	if (mkdirat(dfd, name, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fchmod(fd, 0755) < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		close(fd);
	}
	return 1;
}

/* Read one state file (no symlink, regular, bounded) and parse it. */
static int read_file(struct pt_store *st, const char *dir, int gfd,
		     const char *name, char *err, size_t errlen)
{
	char rel[sizeof(APPLIED_DIR) + 256], *buf = NULL;
	struct pt_ini_file *f;
	size_t len = 0, cap = 0;
	struct stat sb;
	ssize_t n;
	int fd, r;

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	fd = openat(gfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = errno;
		if (r == ENOENT)	/* deleted since readdir */
			return 0;
		if (r == EACCES && geteuid() != 0 && !strcmp(dir, TENANTS_DIR)) {
			/* another tenant's file: not this user's to read */
			char **n = realloc(st->unreadable,
					   (st->n_unreadable + 1) * sizeof(*n));

			if (!n || !(n[st->n_unreadable] = strdup(rel))) {
				if (n)
					st->unreadable = n;
				seterr(err, errlen, "out of memory");
				return -ENOMEM;
			}
			st->unreadable = n;
			st->n_unreadable++;
			return 0;
		}
		if (r == ELOOP) {
			seterr(err, errlen, "%s: is a symbolic link; state files are never followed through links: replace it with a copy of its target (cp --remove-destination \"$(readlink -f %s/%s)\" %s/%s)",
			       rel, st->ctx->conf_dir, rel, st->ctx->conf_dir, rel);
			return -ELOOP;
		}
		path_err(st->ctx, err, errlen, rel, r);
		return -r;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		goto fail_errno;
	}
	if (!S_ISREG(sb.st_mode)) {
		seterr(err, errlen, "%s: not a regular file; remove it or rename it so it does not end in .ini",
		       rel);
		r = -EINVAL;
		goto out;
	}
	r = check_trust_stat(st, fd, &sb, rel, 022, err, errlen);
	if (r < 0)
		goto out;
	for (;;) {
		if (len + 1 >= cap) {
			char *nb;

			/* the size fstat gave, and room to see the end */
			cap = cap ? cap * 2 : sb.st_size > 0 && sb.st_size < FILE_MAX ?
			      (size_t)sb.st_size + 1 : 4096;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				goto fail_errno;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail_errno;
		}
		if (n == 0)
			break;
		len += n;
		if (len > FILE_MAX) {
			seterr(err, errlen, "%s: larger than %d bytes; this is not a %s",
			       rel, FILE_MAX, strcmp(dir, GROUPS_DIR) ?
			       "record of pt-group apply" : "group file");
			r = -EFBIG;
			goto out;
		}
		/*
		 * A short read that ends where fstat put the end: that is the
		 * end (saves a read per file; state files change by rename).
		 */
		if (len == (size_t)sb.st_size && len < cap)
			break;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		seterr(err, errlen, "%s: contains a NUL byte; this is not a text file",
		       rel);
		r = -EINVAL;
		goto out;
	}
	r = pt__ini_parse(rel, buf, &f, err, errlen);
	if (r < 0)
		goto out;
	priv(f)->on_disk = true;
	priv(f)->disk_mode = sb.st_mode & 07777;
	priv(f)->disk_gid = sb.st_gid;
	priv(f)->have_stat = true;
	priv(f)->disk_stat = sb;
	r = st->on_file ? st->on_file(st, f, st->on_file_data, err, errlen) : 0;
	if (r == 0 && (r = store_add(st, f)) == 0)
		goto out;
	pt__ini_free(f);
	if (r > 0)
		r = 0;		/* taken by on_file, not kept */
	goto out;
fail_errno:
	path_err(st->ctx, err, errlen, rel, -r);
out:
	free(buf);
	close(fd);
	return r;
}

/*
 * Open a store directory read-only (for readdir and fsync): an fd,
 * -ENOENT when missing, other -errno with err set.
 */
static int open_store_dir(struct pt_store *st, const char *dir, char *err,
			  size_t errlen)
{
	int fd = openat(st->dirfd, dir,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		/* O_NOFOLLOW on a symlink to a directory gives ENOTDIR. */
		if (e == ENOTDIR) {
			struct stat sb;

			if (!fstatat(st->dirfd, dir, &sb, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(sb.st_mode))
				e = ELOOP;
		}
		if (e != ENOENT)
			path_err(st->ctx, err, errlen, dir, e);
		return -e;
	}
	if (check_trust(st, fd, dir, 022, err, errlen) < 0) {
		if (!err)
			err(st->ctx, "%s/%s: not root's alone; refused\n",
			    st->ctx->conf_dir, dir);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/*
 * A keep-going load (ctx->conf_keep_going) skips a file it cannot take
 * and remembers why, so that the file counts as absent and its error is
 * still reported. 0, or -ENOMEM.
 */
static int store_skip(struct pt_store *st, const char *dir, const char *name,
		      const char *err)
{
	struct pt_store_bad *b = realloc(st->bad, (st->n_bad + 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	st->bad = b;
	b += st->n_bad;
	if (asprintf(&b->relpath, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	b->error = strdup(err && *err ? err : name);
	if (!b->error) {
		free(b->relpath);
		return -ENOMEM;
	}
	st->n_bad++;
	return 0;
}

const char *pt__store_bad(struct pt_store *st, const char *relpath)
{
	for (size_t i = 0; st && relpath && i < st->n_bad; i++)
		if (!strcmp(st->bad[i].relpath, relpath))
			return st->bad[i].error;
	return NULL;
}

/* ---- the record of validated files -------------------------------------- */

/*
 * <conf>/.validated remembers which group files a transaction found valid,
 * so that the next one need not read and parse a thousand files to learn
 * again that they are (as git's index remembers clean files by their
 * stat). It is a cache: missing, unreadable, torn, from another format or
 * version, or not trusted, it is ignored and written anew; deleting it
 * never changes a result, only the time taken.
 *
 *     passthru-validated 1 <version>
 *     groups.d/<name>.ini <dev> <inode> <size> <mtime s>.<ns> <ctime s>.<ns>
 *     ...
 *     end <entries> <FNV-1a 64 of every byte above, hex>
 *
 * A group file whose lstat (no link, a regular file) matches its entry in
 * all five fields, and passes the trust checks of a state file, is known
 * valid and is not read until a command needs its content
 * (pt__store_load()). Any change of the file changes its ctime, which no
 * user can set, and rename(2), as every writer here replaces a file,
 * gives it another inode. What could fool the stat is a change within the
 * timestamp granularity of the validation itself (a coarse clock tick; a
 * file system stamping whole seconds): a file whose mtime or ctime is not
 * RACY_NS older than the moment the store began reading is never recorded
 * ("racily clean" in git), so a later change always moves its ctime past
 * what was recorded. Only a writer, under the lock, writes the record, and
 * only when what it knows valid changed; by rename, not fsynced (a crash
 * leaves the old record, or a torn one that the checksum refuses).
 * Trusted as the state files are, and always strictly: a regular file with
 * one link, writable by no group or other user, owned by root (as root)
 * or by root or the caller (otherwise); anything else is ignored.
 */
#define VALID_FILE	".validated"
#define VALID_TMP	".validated.new"
#define VALID_HEAD	"passthru-validated 1 " PT_VERSION "\n"
#define VALID_MAX	(16 * 1024 * 1024)
#define RACY_NS		(2 * 1000000000LL)

struct pt_valid_entry {
	const char *relpath;		/* in st->valid_buf */
	unsigned long long dev, ino;
	long long size, mtime_s, mtime_ns, ctime_s, ctime_ns;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Decimal digits at *p (no sign, at most 19), then sep; false on anything else. */
static bool take_num(char **p, char sep, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long x = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9' && n < 20; s++, n++)
		x = x * 10 + (unsigned long long)(*s - '0');
	if (!n || n > 19 || *s != sep)
		return false;
	*v = x;
	*p = (char *)s + 1;
	return true;
}

/* v in decimal at p, at least width digits (zero-padded): past the end. */
static char *put_num(char *p, unsigned long long v, int width)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		d[n++] = '0';
	while (n)
		*p++ = d[--n];
	return p;
}

static bool take_time(char **p, char sep, long long *sec, long long *ns)
{
	unsigned long long a, b;

	if (!take_num(p, '.', &a) || !take_num(p, sep, &b) || a > LLONG_MAX ||
	    b >= 1000000000ULL)
		return false;
	*sec = (long long)a;
	*ns = (long long)b;
	return true;
}

/* Parse the record in text (NUL-terminated, len bytes): 0, or -EINVAL. */
static int valid_parse(struct pt_store *st, char *text, size_t len)
{
	size_t hl = strlen(VALID_HEAD), n = 0, cap = 0;
	struct pt_valid_entry *v = NULL, *nv;
	unsigned long long count, sum;
	char *p, *end, *tail;

	if (len < hl || memcmp(text, VALID_HEAD, hl) || text[len - 1] != '\n')
		return -EINVAL;
	/* the last line: "end N SUM" */
	tail = text + len - 1;
	while (tail > text && tail[-1] != '\n')
		tail--;
	if (tail < text + hl || strncmp(tail, "end ", 4))
		return -EINVAL;
	p = tail + 4;
	if (!take_num(&p, ' ', &count))
		return -EINVAL;
	errno = 0;
	sum = strtoull(p, &end, 16);
	if (errno || end == p || *end != '\n' || end + 1 != text + len ||
	    sum != fnv1a(text, (size_t)(tail - text)))
		return -EINVAL;
	for (p = text + hl; p < tail; ) {
		struct pt_valid_entry e = { .relpath = p };
		unsigned long long size;
		char *sp = strchr(p, ' ');

		if (!sp || sp > tail)
			goto bad;
		*sp = '\0';
		p = sp + 1;
		if (!relpath_file(e.relpath) || relpath_dir(e.relpath) != 0 ||
		    (n && strcmp(v[n - 1].relpath, e.relpath) >= 0) ||
		    !take_num(&p, ' ', &e.dev) || !take_num(&p, ' ', &e.ino) ||
		    !take_num(&p, ' ', &size) || size > FILE_MAX ||
		    !take_time(&p, ' ', &e.mtime_s, &e.mtime_ns) ||
		    !take_time(&p, '\n', &e.ctime_s, &e.ctime_ns))
			goto bad;
		e.size = (long long)size;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto bad;
			v = nv;
		}
		v[n++] = e;
	}
	if (n != count)
		goto bad;
	st->valid = v;
	st->n_valid = n;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

/* Read the record, if there is one to trust; anything else: none. */
static void valid_read(struct pt_store *st)
{
	const char *why = NULL;
	struct stat sb;
	size_t len = 0;
	char *text = NULL;
	int fd;

	fd = openat(st->dirfd, VALID_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			dbg(st->ctx, "%s/%s: %s; not used\n", st->ctx->conf_dir,
			    VALID_FILE, strerror(errno));
		return;
	}
	if (fstat(fd, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1)
		why = "not a regular file with one link";
	else if (sb.st_mode & 022)
		why = "writable by group or others";	/* a cache: stricter costs nothing */
	else if (sb.st_uid != 0 && sb.st_uid != st->euid)
		why = "owned by another user";
	else if (st->euid == 0 && sb.st_uid != 0)
		why = "not root's";
	else if (sb.st_size <= 0 || sb.st_size > VALID_MAX)
		why = "empty or too large";
	else if (!(text = malloc((size_t)sb.st_size + 1)))
		why = "out of memory";
	while (!why) {
		ssize_t n = read(fd, text + len, (size_t)sb.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			why = strerror(errno);
		else if (n == 0 || (len += n) == (size_t)sb.st_size)
			break;
	}
	close(fd);
	if (!why) {
		text[len] = '\0';
		/* the text as written, to write it again only when it changes */
		st->valid_text = strdup(text);
		if (!st->valid_text)
			why = "out of memory";
		else if (len != (size_t)sb.st_size || memchr(text, '\0', len) ||
			 valid_parse(st, text, len) < 0)
			why = "torn, or of another format or version";
	}
	if (why) {
		dbg(st->ctx, "%s/%s: %s; not used\n", st->ctx->conf_dir, VALID_FILE, why);
		/* kept as valid_text all the same: rewritten when it differs */
		free(text);
		return;
	}
	/* the entries point into text (valid_parse() cut it up) */
	st->valid_buf = text;
}

static const struct pt_valid_entry *valid_find(struct pt_store *st, const char *rel,
					       size_t rlen)
{
	size_t lo = 0, hi = st->n_valid;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = st->valid[mid].relpath;
		int c = strncmp(e, rel, rlen);

		if (!c && e[rlen])
			c = 1;
		if (!c)
			return &st->valid[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool valid_matches(const struct pt_valid_entry *e, const struct stat *sb)
{
	return e->dev == (unsigned long long)sb->st_dev &&
	       e->ino == (unsigned long long)sb->st_ino &&
	       e->size == (long long)sb->st_size &&
	       e->mtime_s == (long long)sb->st_mtim.tv_sec &&
	       e->mtime_ns == (long long)sb->st_mtim.tv_nsec &&
	       e->ctime_s == (long long)sb->st_ctim.tv_sec &&
	       e->ctime_ns == (long long)sb->st_ctim.tv_nsec;
}

/*
 * dir/name known valid from the record: kept unread (1), with the stat
 * it matched. 0: read it (no entry, another stat, a link, not trusted).
 */
static int valid_stub(struct pt_store *st, const char *dir, int gfd, const char *name)
{
	char rel[sizeof(APPLIED_DIR) + 256];
	size_t dl = strlen(dir), nl = strlen(name);
	const struct pt_valid_entry *e;
	struct ini_file *f;
	struct stat sb;

	if (!st->n_valid || dl + 1 + nl >= sizeof(rel))
		return 0;
	memcpy(rel, dir, dl);
	rel[dl] = '/';
	memcpy(rel + dl + 1, name, nl + 1);
	e = valid_find(st, rel, dl + 1 + nl);
	if (!e || fstatat(gfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(sb.st_mode) || !valid_matches(e, &sb) ||
	    (st->euid == 0 && (sb.st_uid != 0 || (sb.st_mode & 022))))
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->pub.relpath = strdup(rel)) || !(f->pub.orig = strdup(""))) {
		if (f)
			free(f->pub.relpath);
		free(f);
		return -ENOMEM;
	}
	f->dropped = true;	/* no views until pt__store_load() reads it */
	f->pub.unread = true;
	f->pub.validated = true;
	f->on_disk = true;
	f->disk_mode = sb.st_mode & 07777;
	f->disk_gid = sb.st_gid;
	f->have_stat = true;
	f->disk_stat = sb;
	if (store_add(st, &f->pub) < 0) {
		pt__ini_free(&f->pub);
		return -ENOMEM;
	}
	st->n_unread++;
	return 1;
}

static bool racy(const struct timespec *t, const struct timespec *now)
{
	long long a = (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
	long long b = (long long)now->tv_sec * 1000000000LL + now->tv_nsec;

	return a >= b - RACY_NS;
}

static int write_all(int fd, const char *s, size_t len);

/* Write the record of what this store knows valid, when that changed. */
static void valid_write(struct pt_store *st)
{
	const char *why = NULL;
	size_t count = 0, len = 0;
	char *text = NULL;
	FILE *m = open_memstream(&text, &len);
	int fd, r;

	/* left by a writer killed while writing the record; we hold the lock */
	if (unlinkat(st->dirfd, VALID_TMP, 0) < 0 && errno != ENOENT)
		dbg(st->ctx, "%s/%s: %s\n", st->ctx->conf_dir, VALID_TMP, strerror(errno));
	/*
	 * Nothing new to remember (every file read now is racy or invalid)
	 * and every entry of the record still holds: it stays as it is.
	 */
	for (size_t i = 0; i < st->n_files; i++) {
		struct pt_ini_file *f = st->files[i];

		if (relpath_dir(f->relpath) == 0 && !f->unread && f->validated &&
		    priv(f)->have_stat && !racy(&priv(f)->disk_stat.st_mtim, &st->opened) &&
		    !racy(&priv(f)->disk_stat.st_ctim, &st->opened))
			count++;
	}
	if (!count && st->n_unread == st->n_valid && st->valid_text) {
		if (m)
			fclose(m);
		free(text);
		return;
	}
	count = 0;
	if (!m)
		goto nomem;
	fputs(VALID_HEAD, m);
	for (size_t i = 0; i < st->n_files; i++) {
		struct pt_ini_file *f = st->files[i];
		const struct stat *sb = &priv(f)->disk_stat;
		char line[PATH_MAX + 160], *p;
		size_t rl;

		/* what the store read, unchanged, and its reader found valid */
		if (relpath_dir(f->relpath) != 0 || f->deleted || f->dirty ||
		    !f->validated || !priv(f)->have_stat ||
		    (!f->unread && (racy(&sb->st_mtim, &st->opened) ||
				    racy(&sb->st_ctim, &st->opened))))
			continue;
		/* a thousand lines: printf's formatting was most of the write */
		if (sb->st_mtim.tv_sec < 0 || sb->st_ctim.tv_sec < 0)
			continue;	/* before 1970: never recorded */
		p = line;
		rl = strlen(f->relpath);
		memcpy(p, f->relpath, rl);
		p += rl;
		*p++ = ' ';
		p = put_num(p, (unsigned long long)sb->st_dev, 1);
		*p++ = ' ';
		p = put_num(p, (unsigned long long)sb->st_ino, 1);
		*p++ = ' ';
		p = put_num(p, (unsigned long long)sb->st_size, 1);
		*p++ = ' ';
		p = put_num(p, (unsigned long long)sb->st_mtim.tv_sec, 1);
		*p++ = '.';
		p = put_num(p, (unsigned long long)sb->st_mtim.tv_nsec, 9);
		*p++ = ' ';
		p = put_num(p, (unsigned long long)sb->st_ctim.tv_sec, 1);
		*p++ = '.';
		p = put_num(p, (unsigned long long)sb->st_ctim.tv_nsec, 9);
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), m);
		count++;
	}
	if (fflush(m) != 0)
		goto nomem;
	fprintf(m, "end %zu %016llx\n", count, (unsigned long long)fnv1a(text, len));
	if (fclose(m) != 0) {
		m = NULL;
		goto nomem;
	}
	m = NULL;
	if (st->valid_text ? !strcmp(st->valid_text, text) : !count) {
		free(text);
		return;		/* as it was; or nothing to remember */
	}
	fd = openat(st->dirfd, VALID_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0) {
		why = strerror(errno);
		goto out;
	}
	r = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, text, len);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(st->dirfd, VALID_TMP, st->dirfd, VALID_FILE) < 0)
		r = -errno;
	if (r) {
		why = strerror(-r);
		unlinkat(st->dirfd, VALID_TMP, 0);
	}
out:
	if (why)
		dbg(st->ctx, "%s/%s: cannot write: %s; the next transaction reads every group file\n",
		    st->ctx->conf_dir, VALID_FILE, why);
	free(text);
	return;
nomem:
	if (m)
		fclose(m);
	free(text);
	dbg(st->ctx, "%s/%s: out of memory; not written\n", st->ctx->conf_dir, VALID_FILE);
}

/* Read every <name>.ini of one store directory (missing: none). */
static int read_dir(struct pt_store *st, const char *dir, bool clean,
		    char *err, size_t errlen)
{
	char **names = NULL, **nn;
	size_t n = 0;
	struct dirent *de;
	int gfd, r = 0;
	DIR *d;

	gfd = open_store_dir(st, dir, err, errlen);
	if (gfd == -ENOENT)
		return 0;
	if (gfd == -EACCES && geteuid() != 0 && !strcmp(dir, TENANTS_DIR)) {
		/* 0711: a user who is not root lists no tenant (tenant.c asks by name) */
		st->tenants_unlisted = true;
		if (err && errlen)
			err[0] = '\0';
		return 0;
	}
	if (gfd < 0)
		return gfd;
	d = fdopendir(gfd);
	if (!d) {
		r = -errno;
		close(gfd);
		path_err(st->ctx, err, errlen, dir, -r);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		char rel[sizeof(APPLIED_DIR) + 256];

		if (name[0] == '.') {
			/* Left by a killed writer; we hold the lock. */
			if (clean && is_temp_name(dir, name)) {
				if (unlinkat(dirfd(d), name, 0) < 0 && errno != ENOENT)
					warn(st->ctx, "%s/%s/%s: cannot remove stale temp file: %s\n",
					     st->ctx->conf_dir, dir, name,
					     strerror(errno));
				else
					dbg(st->ctx, "removed stale %s/%s\n",
					    dir, name);
			}
			continue;
		}
		if (len < 4 || strcmp(name + len - 4, ".ini"))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, name);
		if (!relpath_file(rel)) {
			seterr(err, errlen, "%s: '%.*s' is not a valid %s name (letters, digits, '-', '_', '.', no leading '.', at most %d); rename the file",
			       rel, (int)(len - 4), name,
			       !strcmp(dir, VMS_DIR) ? "VM" : !strcmp(dir, TENANTS_DIR) ? "tenant" : "group",
			       PT_NAME_MAX);
			r = -EINVAL;
			if (st->ctx->conf_keep_going && (r = store_skip(st, dir, name, err)) == 0)
				continue;
			goto out;
		}
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(name))) {
			if (nn)
				names = nn;
			r = -ENOMEM;
			goto out;
		}
		names = nn;
		n++;
	}
	if (errno) {
		r = -errno;
		path_err(st->ctx, err, errlen, dir, -r);
		goto out;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !r; i++) {
		if (st->lazy && !strcmp(dir, GROUPS_DIR)) {
			r = valid_stub(st, dir, dirfd(d), names[i]);
			if (r == 1) {
				r = 0;
				continue;
			}
			if (r < 0) {
				seterr(err, errlen, "out of memory");
				break;
			}
		}
		r = read_file(st, dir, dirfd(d), names[i], err, errlen);
		if (r < 0 && r != -ENOMEM && st->ctx->conf_keep_going)
			r = store_skip(st, dir, names[i], err);
	}
out:
	if (r == -ENOMEM)
		seterr(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int pt__store_read_tenant(struct pt_store *st, const char *name, char *err, size_t errlen)
{
	char file[PT_NAME_MAX + 8], rel[sizeof(TENANTS_DIR) + PT_NAME_MAX + 8];
	int gfd, r;

	if (!pt__name_is_valid(name))
		return -EINVAL;
	snprintf(file, sizeof(file), "%s.ini", name);
	snprintf(rel, sizeof(rel), TENANTS_DIR "/%s", file);
	if (st->dirfd < 0 || pt__store_find(st, rel))
		return 0;		/* no state yet; or read already */
	for (size_t i = 0; i < st->n_unreadable; i++)
		if (!strcmp(st->unreadable[i], rel))
			return 0;
	/* search permission is enough to open a file whose name is known */
	gfd = openat(st->dirfd, TENANTS_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = read_file(st, TENANTS_DIR, gfd, file, err, errlen);
	close(gfd);
	return r;
}

/* "pid 1234 (pt group apply gpu)" from what the holder wrote in the lock. */
static void lock_holder(int fd, char *who, size_t len)
{
	char buf[256], *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		pid = strtol(buf, &end, 10);
		if (end != buf && pid > 0 && *end == ' ') {
			snprintf(who, len, "pid %ld (%s)", pid, end + 1);
			return;
		}
	}
	snprintf(who, len, "a process that did not write its pid there (fuser -v shows it)");
}

/* Say who holds the lock: "<pid> <command line>\n", as root-only as the lock. */
static void lock_say_holder(int fd)
{
	char line[256], cmd[200];
	ssize_t n = 0;
	int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (cfd >= 0) {
		n = read(cfd, cmd, sizeof(cmd) - 1);
		close(cfd);
	}
	if (n <= 0) {
		snprintf(cmd, sizeof(cmd), "%s", program_invocation_short_name);
		n = (ssize_t)strlen(cmd);
	}
	cmd[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == '\0' || cmd[i] == '\n')
			cmd[i] = ' ';
	while (n > 0 && cmd[n - 1] == ' ')
		cmd[--n] = '\0';
	n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), cmd);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, strlen(line), 0) < 0)
		return;		/* a nicety: the lock holds without it */
}

/*
 * Open or create <conf>/.lock (see the top of the file) and flock it,
 * waiting at most the context's lock timeout.
 */
static int lock_store(struct pt_store *st, char *err, size_t errlen)
{
	struct pt_ctx *ctx = st->ctx;
	struct timespec now, deadline;
	bool created = false, said = false;
	char who[320];
	struct stat sb;
	int fd = -1, r;

	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		fd = openat(st->dirfd, LOCK_FILE,
			    O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		fd = openat(st->dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd >= 0)
			created = true;
		else if (errno != EEXIST)
			break;
	}
	if (fd < 0) {
		r = -errno;
		path_err(ctx, err, errlen, LOCK_FILE, -r);
		return r;
	}
	/* only a lock made just now is ours to chmod (the umask may have cut it) */
	if (created && fchmod(fd, 0600) < 0) {
		r = -errno;
		path_err(ctx, err, errlen, LOCK_FILE, -r);
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		path_err(ctx, err, errlen, LOCK_FILE, -r);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		seterr(err, errlen, "%s/%s: not a regular file; remove it (pt creates the lock)",
		       ctx->conf_dir, LOCK_FILE);
		r = -EINVAL;
		goto fail;
	}
	if (sb.st_nlink != 1) {
		seterr(err, errlen, "%s/%s: has %lu links; the lock is never hard-linked (it could be any other file): remove it (rm %s/%s); pt creates a new one",
		       ctx->conf_dir, LOCK_FILE, (unsigned long)sb.st_nlink,
		       ctx->conf_dir, LOCK_FILE);
		r = -EINVAL;
		goto fail;
	}
	r = check_trust(st, fd, LOCK_FILE, 077, err, errlen);
	if (r < 0)
		goto fail;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ctx->lock_timeout;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = -errno;
			path_err(ctx, err, errlen, LOCK_FILE, -r);
			goto fail;
		}
		lock_holder(fd, who, sizeof(who));
		if (!said) {
			info(ctx, "%s/%s: held by %s; waiting up to %d s\n",
			     ctx->conf_dir, LOCK_FILE, who, ctx->lock_timeout);
			said = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
			seterr(err, errlen, "%s/%s: held by %s; gave up after %d s: wait for it to finish, or wait longer with -O lock.timeout=SECONDS",
			       ctx->conf_dir, LOCK_FILE, who, ctx->lock_timeout);
			r = -ETIMEDOUT;
			goto fail;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	lock_say_holder(fd);
	st->lockfd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int pt__store_open(struct pt_ctx *ctx, bool write, struct pt_store **out,
		   char *err, size_t errlen)
{
	return pt__store_open_each(ctx, write, NULL, NULL, out, err, errlen);
}

typedef int (*on_file_fn)(struct pt_store *st, struct pt_ini_file *f, void *data,
			  char *err, size_t errlen);

static int store_open(struct pt_ctx *ctx, bool write, bool lazy, on_file_fn on_file,
		      void *data, struct pt_store **out, char *err, size_t errlen)
{
	const char *dir = ctx->conf_dir;
	struct pt_store *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->ctx = ctx;
	st->on_file = on_file;
	st->on_file_data = data;
	st->lazy = lazy;
	st->euid = geteuid();
	st->dirfd = -1;
	st->lockfd = -1;
	/* modes are the documented ones whatever the caller's umask */
	if (write && (r = mkdir_0755(AT_FDCWD, dir)) < 0) {
		seterr(err, errlen, "%s: cannot create: %s%s", dir, strerror(-r),
		       r == -EACCES || r == -EROFS ?
		       "; run as root or use -O conf.dir=DIR" : r == -ENOENT ?
		       "; its parent directory does not exist: create it or use -O conf.dir=DIR" : "");
		goto fail;
	}
	st->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		r = -errno;
		if (r == -ENOENT && !write) {
			*out = st;	/* no state yet: zero files */
			return 0;
		}
		path_err(ctx, err, errlen, NULL, -r);
		goto fail;
	}
	r = check_trust(st, st->dirfd, NULL, 022, err, errlen);
	if (r < 0)
		goto fail;
	if (write) {
		r = lock_store(st, err, errlen);
		if (r < 0)
			goto fail;
		r = mkdir_0755(st->dirfd, GROUPS_DIR);
		if (r < 0) {
			path_err(ctx, err, errlen, GROUPS_DIR, -r);
			goto fail;
		}
	}
	if (lazy) {
		/* before any file is read: what changes from now on is racy */
		clock_gettime(CLOCK_REALTIME, &st->opened);
		valid_read(st);
	}
	for (size_t i = 0; i < N_DIRS; i++) {
		r = read_dir(st, store_dirs[i], write, err, errlen);
		if (r < 0)
			goto fail;
	}
	if (lazy && st->n_unread)
		dbg(ctx, "%s: %zu group files known valid from %s, not read\n", dir,
		    st->n_unread, VALID_FILE);
	if (lazy && write)
		valid_write(st);
	*out = st;
	return 0;
fail:
	pt__store_close(st);
	return r;
}

int pt__store_open_each(struct pt_ctx *ctx, bool write, on_file_fn on_file,
			void *data, struct pt_store **out, char *err, size_t errlen)
{
	return store_open(ctx, write, false, on_file, data, out, err, errlen);
}

int pt__store_open_lazy(struct pt_ctx *ctx, bool write, on_file_fn on_file,
			void *data, struct pt_store **out, char *err, size_t errlen)
{
	return store_open(ctx, write, true, on_file, data, out, err, errlen);
}

int pt__store_load(struct pt_store *st, struct pt_ini_file **f, on_file_fn on_file,
		   void *data, char *err, size_t errlen)
{
	struct pt_ini_file *stub = *f;
	on_file_fn saved = st->on_file;
	void *saved_data = st->on_file_data;
	char rel[sizeof(APPLIED_DIR) + 256];
	const char *name;
	size_t i;
	int d, gfd, r;

	if (!stub || !stub->unread)
		return 0;
	snprintf(rel, sizeof(rel), "%s", stub->relpath);
	d = relpath_dir(rel);
	name = relpath_file(rel);
	if (d < 0 || !name)
		return -EINVAL;
	/* out of the store: read_file() adds the file as read */
	for (i = 0; i < st->n_files && st->files[i] != stub; i++)
		;
	if (i == st->n_files)
		return -EINVAL;
	memmove(&st->files[i], &st->files[i + 1], (st->n_files - i - 1) * sizeof(*st->files));
	st->n_files--;
	pt__ini_free(stub);
	*f = NULL;
	gfd = open_store_dir(st, store_dirs[d], err, errlen);
	if (gfd == -ENOENT)
		return 0;	/* gone since the open */
	if (gfd < 0)
		return gfd;
	st->on_file = on_file;
	st->on_file_data = data;
	r = read_file(st, store_dirs[d], gfd, name, err, errlen);
	st->on_file = saved;
	st->on_file_data = saved_data;
	close(gfd);
	if (r < 0)
		return r;
	*f = pt__store_find(st, rel);
	return 0;
}

int pt__store_open_file(struct pt_ctx *ctx, const char *relpath,
			struct pt_store **out, char *err, size_t errlen)
{
	const char *name = relpath_file(relpath);
	int d = relpath_dir(relpath), gfd, r;
	struct pt_store *st;

	if (!name)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->ctx = ctx;
	st->euid = geteuid();
	st->lockfd = -1;
	st->dirfd = open(ctx->conf_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		r = -errno;
		if (r == -ENOENT) {
			*out = st;	/* no state yet: zero files */
			return 0;
		}
		path_err(ctx, err, errlen, NULL, -r);
		goto fail;
	}
	r = check_trust(st, st->dirfd, NULL, 022, err, errlen);
	if (r < 0)
		goto fail;
	gfd = open_store_dir(st, store_dirs[d], err, errlen);
	if (gfd == -ENOENT) {
		*out = st;
		return 0;
	}
	if (gfd < 0) {
		r = gfd;
		goto fail;
	}
	/* as read_dir() does for this one name */
	r = read_file(st, store_dirs[d], gfd, name, err, errlen);
	if (r < 0 && r != -ENOMEM && ctx->conf_keep_going)
		r = store_skip(st, store_dirs[d], name, err);
	close(gfd);
	if (r < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	pt__store_close(st);
	return r;
}

/* The file at relpath, deleted or not (st->files is sorted by relpath). */
static struct pt_ini_file *find_any(struct pt_store *st, const char *relpath)
{
	size_t lo = 0, hi = st->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->files[mid]->relpath, relpath);

		if (!c)
			return st->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct pt_ini_file *pt__store_find(struct pt_store *st, const char *relpath)
{
	struct pt_ini_file *f;

	if (!st || !relpath)
		return NULL;
	f = find_any(st, relpath);
	return f && !f->deleted ? f : NULL;
}

int pt__store_new_file(struct pt_store *st, const char *relpath,
		       struct pt_ini_file **out)
{
	struct pt_ini_file *f;
	int r;

	if (!st || !relpath_file(relpath))
		return -EINVAL;
	f = find_any(st, relpath);
	if (f && !f->deleted)
		return -EEXIST;
	if (f) {
		/* Deleted in this transaction, created again: empty it. */
		r = edit_lines(f, 0, f->n_lines, NULL, 0, NULL, NULL, NULL);
		if (r < 0)
			return r;
		f->deleted = false;
		f->dirty = true;
		*out = f;
		return 0;
	}
	r = pt__ini_parse(relpath, "", &f, NULL, 0);
	if (r < 0)
		return r;
	f->dirty = true;
	r = store_add(st, f);
	if (r < 0) {
		pt__ini_free(f);
		return r;
	}
	*out = f;
	return 0;
}

int pt__store_delete_file(struct pt_store *st, const char *relpath)
{
	struct pt_ini_file *f;

	if (!st || !relpath_file(relpath))
		return -EINVAL;
	f = pt__store_find(st, relpath);
	if (!f)
		return -ENOENT;
	f->deleted = true;
	f->dirty = true;
	return 0;
}

/* ---- diff --------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + n < b->cap) {
			b->len += n;
			return;
		}
		size_t cap = b->cap ? b->cap : 256;
		char *ns;

		while (cap <= b->len + n)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* One side of a diff: lines, and whether the last one lacks a newline. */
struct side {
	char **lines;
	size_t n;
	bool no_eol;
};

static bool line_eq(const struct side *a, size_t i, const struct side *b,
		    size_t j)
{
	bool ea = a->no_eol && i == a->n - 1, eb = b->no_eol && j == b->n - 1;

	return ea == eb && !strcmp(a->lines[i], b->lines[j]);
}

enum { OP_EQ, OP_DEL, OP_ADD };

struct op {
	unsigned char type;
	size_t a, b;			/* line indices (old, new) */
};

/*
 * Edit script by longest common subsequence, after trimming the common
 * prefix and suffix; a middle too large for the table is replaced whole.
 */
static struct op *diff_ops(const struct side *a, const struct side *b,
			   size_t *n_ops)
{
	size_t pre = 0, suf = 0, n, m, k = 0;
	struct op *ops;
	unsigned int *t = NULL;

	while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	n = a->n - pre - suf;
	m = b->n - pre - suf;
	ops = calloc(a->n + b->n + 1, sizeof(*ops));
	if (!ops)
		return NULL;
	for (size_t i = 0; i < pre; i++)
		ops[k++] = (struct op){ OP_EQ, i, i };
	if (n && m && n * m <= 4 * 1024 * 1024 / sizeof(*t))
		t = calloc((n + 1) * (m + 1), sizeof(*t));
	if (t) {
		/* t[i][j]: LCS length of a[pre+i..] and b[pre+j..] */
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;)
				t[i * (m + 1) + j] =
					line_eq(a, pre + i, b, pre + j) ?
					t[(i + 1) * (m + 1) + j + 1] + 1 :
					t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1] ?
					t[(i + 1) * (m + 1) + j] : t[i * (m + 1) + j + 1];
		size_t i = 0, j = 0;

		while (i < n || j < m) {
			if (i < n && j < m && line_eq(a, pre + i, b, pre + j)) {
				ops[k++] = (struct op){ OP_EQ, pre + i, pre + j };
				i++, j++;
			} else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >=
						       t[i * (m + 1) + j + 1])) {
				ops[k++] = (struct op){ OP_DEL, pre + i, pre + j };
				i++;
			} else {
				ops[k++] = (struct op){ OP_ADD, pre + i, pre + j };
				j++;
			}
		}
		free(t);
	} else {
		for (size_t i = 0; i < n; i++)
			ops[k++] = (struct op){ OP_DEL, pre + i, pre };
		for (size_t j = 0; j < m; j++)
			ops[k++] = (struct op){ OP_ADD, pre + n, pre + j };
	}
	for (size_t i = 0; i < suf; i++)
		ops[k++] = (struct op){ OP_EQ, pre + n + i, pre + m + i };
	*n_ops = k;
	return ops;
}

/* "start,len" as diff -u writes it (",1" omitted; empty: line before). */
static void range(struct buf *b, size_t start, size_t len)
{
	if (len == 1)
		bprintf(b, "%zu", start + 1);
	else
		bprintf(b, "%zu,%zu", len ? start + 1 : start, len);
}

static void emit_line(struct buf *b, char mark, const struct side *s,
		      size_t i)
{
	bprintf(b, "%c%s\n", mark, s->lines[i]);
	if (s->no_eol && i == s->n - 1)
		bprintf(b, "\\ No newline at end of file\n");
}

#define CONTEXT 3

static void diff_text(struct buf *b, const char *from, const char *to,
		      const struct side *a, const struct side *c)
{
	size_t n_ops, i = 0;
	struct op *ops = diff_ops(a, c, &n_ops);

	if (!ops) {
		b->oom = true;
		return;
	}
	while (i < n_ops) {
		size_t first, last, end, na = 0, nb = 0;

		while (i < n_ops && ops[i].type == OP_EQ)
			i++;
		if (i == n_ops)
			break;
		/* A hunk: changes closer than 2 * CONTEXT stay together. */
		first = i >= CONTEXT ? i - CONTEXT : 0;
		last = i;
		for (size_t j = i; j < n_ops; j++) {
			if (ops[j].type != OP_EQ)
				last = j;
			else if (j - last > 2 * CONTEXT)
				break;
		}
		end = last + CONTEXT + 1 < n_ops ? last + CONTEXT + 1 : n_ops;
		for (size_t j = first; j < end; j++) {
			na += ops[j].type != OP_ADD;
			nb += ops[j].type != OP_DEL;
		}
		if (from) {
			bprintf(b, "--- %s\n+++ %s\n", from, to);
			from = NULL;
		}
		bprintf(b, "@@ -");
		range(b, ops[first].a, na);
		bprintf(b, " +");
		range(b, ops[first].b, nb);
		bprintf(b, " @@\n");
		for (size_t j = first; j < end; j++) {
			if (ops[j].type == OP_EQ)
				emit_line(b, ' ', a, ops[j].a);
			else if (ops[j].type == OP_DEL)
				emit_line(b, '-', a, ops[j].a);
			else
				emit_line(b, '+', c, ops[j].b);
		}
		i = end;
	}
	free(ops);
}

/*
 * A restricted file on disk with another mode or (as root) group than
 * it is written with: rewritten as it is at the next commit.
 */
static bool perm_stale(struct pt_ini_file *f)
{
	return f->restricted && !f->deleted && priv(f)->on_disk &&
	       (priv(f)->disk_mode != 0640 ||
		(geteuid() == 0 && priv(f)->disk_gid != f->gid));
}

/* Does the file need writing (new, or content changed)? */
static bool needs_write(struct pt_ini_file *f, char **text)
{
	*text = NULL;
	if (f->deleted || !f->dirty)
		return false;
	*text = pt__ini_render(f);
	if (!*text)
		return true;	/* reported by the caller as -ENOMEM */
	return !priv(f)->on_disk || strcmp(*text, f->orig);
}

/* One file's diff into b: from (NULL: it is new) to to (NULL: it goes). */
static void diff_one(struct buf *b, const char *relpath, const char *from_text,
		     const char *to_text)
{
	struct side old = { 0 }, new = { 0 };
	char from[300], to[300];

	if ((from_text && split_lines(from_text, &old.lines, &old.n) < 0) ||
	    (to_text && split_lines(to_text, &new.lines, &new.n) < 0)) {
		b->oom = true;
	} else {
		size_t ol = from_text ? strlen(from_text) : 0;

		old.no_eol = old.n && from_text[ol - 1] != '\n';
		snprintf(from, sizeof(from), "%s%s", from_text ? "a/" : "",
			 from_text ? relpath : "/dev/null");
		snprintf(to, sizeof(to), "%s%s", to_text ? "b/" : "",
			 to_text ? relpath : "/dev/null");
		if (!old.n && !new.n)	/* an empty file appears/goes */
			bprintf(b, "--- %s\n+++ %s\n", from, to);
		else
			diff_text(b, from, to, &old, &new);
	}
	free_lines(old.lines, old.n);
	free_lines(new.lines, new.n);
}

char *pt__store_diff(struct pt_store *st)
{
	struct buf b = { 0 };

	bprintf(&b, "%s", "");
	for (size_t i = 0; st && i < st->n_files && !b.oom; i++) {
		struct pt_ini_file *f = st->files[i];
		char *text = NULL;
		bool del = f->deleted && priv(f)->on_disk;

		if (!del && !needs_write(f, &text)) {
			free(text);
			continue;
		}
		if (!del && !text)
			b.oom = true;
		else
			diff_one(&b, f->relpath, priv(f)->on_disk ? f->orig : NULL,
				 del ? NULL : text);
		free(text);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *pt__text_diff(const char *relpath, const char *from, const char *to)
{
	struct buf b = { 0 };

	bprintf(&b, "%s", "");
	if (!from || !to || strcmp(from, to))
		diff_one(&b, relpath, from, to);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ---- commit ------------------------------------------------------------- */

static void random_suffix(char *s)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned int counter;
	unsigned char rnd[TMP_SUFFIX_LEN];

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		unsigned long v;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
		    ++counter * 2654435761u;
		for (size_t i = 0; i < sizeof(rnd); i++, v >>= 5)
			rnd[i] = (unsigned char)v;
	}
	for (size_t i = 0; i < TMP_SUFFIX_LEN; i++)
		s[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	s[TMP_SUFFIX_LEN] = '\0';
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= n;
	}
	return 0;
}

/*
 * Replace dir/name (gfd: dir) with f's text: temp file, fsync, rename.
 * 0644 root:root, or 0640 root:<f's gid> for a restricted file.
 */
static int replace_file(struct pt_store *st, const char *dir, int gfd,
			struct pt_ini_file *f, const char *text)
{
	const char *name = relpath_file(f->relpath);
	mode_t mode = f->restricted ? 0640 : 0644;
	char tmp[256];
	int fd = -1, r;

	for (int tries = 0; fd < 0; tries++) {
		snprintf(tmp, sizeof(tmp), ".%s.", name);
		random_suffix(tmp + strlen(tmp));
		fd = openat(gfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || tries >= 100)) {
			r = -errno;
			err(st->ctx, "%s/%s/%s: cannot create: %s\n",
			    st->ctx->conf_dir, dir, tmp, strerror(-r));
			return r;
		}
	}
	/* owner and group first: the mode never lets the wrong group read */
	r = geteuid() == 0 && fchown(fd, 0, f->restricted ? f->gid : 0) < 0 ? -errno : 0;
	if (!r && fchmod(fd, mode) < 0)
		r = -errno;
	if (!r)
		r = write_all(fd, text, strlen(text));
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(gfd, tmp, gfd, name) < 0)
		r = -errno;
	if (r < 0) {
		err(st->ctx, "%s/%s/%s: cannot write: %s\n", st->ctx->conf_dir,
		    dir, name, strerror(-r));
		unlinkat(gfd, tmp, 0);
	}
	return r;
}

/*
 * A store directory open for writing: created 0755 (whatever the umask)
 * on the first write there - applied.d/ appears with the first record -
 * and *created set so the caller makes the new entry durable.
 */
static int open_dir_for_write(struct pt_store *st, const char *dir,
			      bool *created)
{
	int fd = open_store_dir(st, dir, NULL, 0);

	if (fd == -ENOENT) {
		int r = mkdir_0755(st->dirfd, dir);

		if (r < 0) {
			fd = r;
			goto fail;
		}
		*created = r > 0;
		fd = open_store_dir(st, dir, NULL, 0);
	}
	/* tenants.d: other users reach the files they may read, and list none */
	if (fd >= 0 && !strcmp(dir, TENANTS_DIR) && geteuid() == 0 && fchmod(fd, 0711) < 0) {
		close(fd);
		fd = -errno;
		goto fail;
	}
	if (fd >= 0)
		return fd;
fail:
	err(st->ctx, "%s/%s: %s\n", st->ctx->conf_dir, dir, strerror(-fd));
	return fd;
}

static int fsync_dir(struct pt_store *st, int fd, const char *dir)
{
	int e;

	if (fsync(fd) == 0)
		return 0;
	e = errno;
	err(st->ctx, "%s%s%s: fsync: %s\n", st->ctx->conf_dir, dir ? "/" : "",
	    dir ? dir : "", strerror(e));
	return -e;
}

int pt__store_commit(struct pt_store *st)
{
	int fds[N_DIRS], r = 0, fd;
	bool synced[N_DIRS], created = false;

	if (!st)
		return -EINVAL;
	if (st->lockfd < 0)
		return -EBADF;		/* opened read-only */
	for (size_t d = 0; d < N_DIRS; d++) {
		fds[d] = -1;
		synced[d] = true;
	}
	/*
	 * Writes first, then removals, then one fsync of each directory
	 * changed (and of the conf dir when a directory was created).
	 */
	for (size_t i = 0; i < st->n_files && !r; i++) {
		struct pt_ini_file *f = st->files[i];
		int d = relpath_dir(f->relpath);
		char *text;

		if (!needs_write(f, &text)) {
			free(text);
			if (!perm_stale(f))
				continue;
			/* same text, the mode or group to put right */
			text = strdup(f->orig);
		}
		if (!text) {
			r = -ENOMEM;
			break;
		}
		if (d < 0) {
			r = -EINVAL;	/* not made by this store */
		} else if (fds[d] < 0) {
			fds[d] = open_dir_for_write(st, store_dirs[d], &created);
			if (fds[d] < 0)
				r = fds[d];
		}
		if (!r)
			r = replace_file(st, store_dirs[d], fds[d], f, text);
		if (!r) {
			free(f->orig);
			f->orig = text;
			priv(f)->on_disk = true;
			priv(f)->disk_mode = f->restricted ? 0640 : 0644;
			priv(f)->disk_gid = f->restricted ? f->gid : 0;
			synced[d] = false;
		} else {
			free(text);
		}
	}
	for (size_t i = 0; i < st->n_files && !r; i++) {
		struct pt_ini_file *f = st->files[i];
		int d = relpath_dir(f->relpath);

		if (!f->deleted || !priv(f)->on_disk)
			continue;
		if (d < 0) {
			r = -EINVAL;
			break;
		}
		if (fds[d] < 0) {
			fds[d] = open_dir_for_write(st, store_dirs[d], &created);
			if (fds[d] < 0) {
				r = fds[d];
				break;
			}
		}
		if (unlinkat(fds[d], relpath_file(f->relpath), 0) < 0 &&
		    errno != ENOENT) {
			r = -errno;
			err(st->ctx, "%s/%s: cannot remove: %s\n",
			    st->ctx->conf_dir, f->relpath, strerror(-r));
			break;
		}
		priv(f)->on_disk = false;
		synced[d] = false;
	}
	for (size_t d = 0; d < N_DIRS; d++) {
		if (fds[d] < 0)
			continue;
		if (!synced[d] && (fd = fsync_dir(st, fds[d], store_dirs[d])) < 0 && !r)
			r = fd;
		close(fds[d]);
	}
	if (created) {
		fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			if (!r)
				r = -e;
			err(st->ctx, "%s: %s\n", st->ctx->conf_dir, strerror(e));
		} else {
			int e = fsync_dir(st, fd, NULL);

			if (e < 0 && !r)
				r = e;
			close(fd);
		}
	}
	if (!r)
		for (size_t i = 0; i < st->n_files; i++)
			st->files[i]->dirty = false;
	return r;
}

void pt__store_close(struct pt_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_files; i++)
		pt__ini_free(st->files[i]);
	free(st->files);
	for (size_t i = 0; i < st->n_bad; i++) {
		free(st->bad[i].relpath);
		free(st->bad[i].error);
	}
	free(st->bad);
	for (size_t i = 0; i < st->n_unreadable; i++)
		free(st->unreadable[i]);
	free(st->unreadable);
	free(st->valid);
	free(st->valid_buf);
	free(st->valid_text);
	if (st->lockfd >= 0) {
		/* clear the holder's line while still holding the lock */
		if (ftruncate(st->lockfd, 0) < 0)
			dbg(st->ctx, "%s/%s: %s\n", st->ctx->conf_dir, LOCK_FILE,
			    strerror(errno));
		close(st->lockfd);	/* releases the flock */
	}
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st);
}
