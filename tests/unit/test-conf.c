// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf.c: INI parsing with inih and the line model beside it, edits that
 * keep comments, did-you-mean, and the locked atomic store in a temp dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

static struct pt_ini_file *parse_ok(const char *text)
{
	struct pt_ini_file *f = NULL;
	char err[512] = "";
	int r = pt__ini_parse("groups.d/t.ini", text, &f, err, sizeof(err));

	if (r)
		print_error("unexpected parse error %d: %s\n", r, err);
	assert_int_equal(r, 0);
	assert_non_null(f);
	return f;
}

static void assert_render(struct pt_ini_file *f, const char *expect)
{
	char *s = pt__ini_render(f);

	assert_non_null(s);
	assert_string_equal(s, expect);
	free(s);
}

/* Parse must fail with exactly this message. */
static void parse_fails(const char *text, const char *msg)
{
	struct pt_ini_file *f = NULL;
	char err[512] = "";

	assert_int_equal(pt__ini_parse("groups.d/t.ini", text, &f, err,
				       sizeof(err)), -EINVAL);
	assert_null(f);
	assert_string_equal(err, msg);
}

static const char sample[] =
	"# passthru group file\n"
	"; both comment characters\n"
	"\n"
	"[group]\n"
	"type = sriov-nic   ; inline comment\n"
	"description = Uplink;VFs  for tenants\n"
	"  # indented comment\n"
	"numvfs: 8\n"
	"\n"
	"\n"
	"# the first rule\n"
	"[rule \"uplink-a\"]\n"
	"match = vendor_id eq 8086\n"
	"        and device_id eq 1572\n"
	"\n"
	"\tand pf_slot eq 0000:03:00.0\n"
	"node = node1*\n";

static void test_parse_round_trip(void **state)
{
	struct pt_ini_file *f = parse_ok(sample);
	struct pt_ini_section *s;

	assert_render(f, sample);
	assert_int_equal(f->n_lines, 17);
	assert_int_equal(f->n_sections, 2);
	assert_false(f->dirty);
	s = pt__ini_find_section(f, "group");
	assert_non_null(s);
	assert_int_equal(s->line, 4);
	assert_int_equal(s->n_kv, 3);
	assert_string_equal(s->kv[0].key, "type");
	assert_string_equal(s->kv[0].value, "sriov-nic");
	assert_int_equal(s->kv[0].line, 5);
	/* ';' without whitespace before it is text; inner spaces kept */
	assert_string_equal(s->kv[1].value, "Uplink;VFs  for tenants");
	assert_string_equal(s->kv[2].key, "numvfs");
	assert_string_equal(s->kv[2].value, "8");
	assert_int_equal(s->kv[2].line, 8);
	s = pt__ini_find_section(f, "rule \"uplink-a\"");
	assert_non_null(s);
	assert_int_equal(s->line, 12);
	/* continuation lines, also after a blank line, joined by a space */
	assert_string_equal(pt__ini_get(f, "rule \"uplink-a\"", "match"),
			    "vendor_id eq 8086 and device_id eq 1572 and pf_slot eq 0000:03:00.0");
	assert_string_equal(pt__ini_get(f, "rule \"uplink-a\"", "node"), "node1*");
	assert_int_equal(s->kv[1].line, 17);
	assert_null(pt__ini_get(f, "group", "vlan"));
	assert_null(pt__ini_get(f, "nope", "type"));
	assert_null(pt__ini_find_section(f, "rule"));
	pt__ini_free(f);

	/* CRLF, no final newline (rendered with one), empty file */
	f = parse_ok("[a]\r\nk = v\r\n");
	assert_string_equal(pt__ini_get(f, "a", "k"), "v");
	assert_render(f, "[a]\r\nk = v\r\n");
	pt__ini_free(f);
	f = parse_ok("[a]\nk = v");
	assert_render(f, "[a]\nk = v\n");
	pt__ini_free(f);
	f = parse_ok("");
	assert_int_equal(f->n_sections, 0);
	assert_render(f, "");
	pt__ini_free(f);
	/* a UTF-8 byte order mark is skipped by inih and kept by us */
	f = parse_ok("\xef\xbb\xbf[a]\nk = v\n");
	assert_string_equal(pt__ini_get(f, "a", "k"), "v");
	assert_render(f, "\xef\xbb\xbf[a]\nk = v\n");
	pt__ini_free(f);
	/* an empty value, and a comment after the header */
	f = parse_ok("[a] ; first\nk =\n");
	assert_string_equal(pt__ini_get(f, "a", "k"), "");
	pt__ini_free(f);
}

/* inih keeps 50 bytes of a section name; the line model keeps it whole. */
static void test_long_section_name(void **state)
{
	const char *a = "rule \"a-rule-name-that-is-longer-than-fifty-bytes-number-1\"";
	const char *b = "rule \"a-rule-name-that-is-longer-than-fifty-bytes-number-2\"";
	char text[512];
	struct pt_ini_file *f;

	snprintf(text, sizeof(text), "[%s]\nmatch = x eq 1\n[%s]\nmatch = x eq 2\n",
		 a, b);
	f = parse_ok(text);
	assert_int_equal(f->n_sections, 2);
	assert_string_equal(pt__ini_get(f, a, "match"), "x eq 1");
	assert_string_equal(pt__ini_get(f, b, "match"), "x eq 2");
	pt__ini_free(f);
}

static void test_parse_errors(void **state)
{
	char text[600];

	parse_fails("[group]\ntype = pci\nbad line\n",
		    "groups.d/t.ini:3: expected 'key = value' or '[section]'");
	parse_fails("[group]\ntype = pci\n\n[rule \"a\"\nmatch = x\n",
		    "groups.d/t.ini:4: missing ']' in section header; expected '[section]'");
	parse_fails("[group]\na = 1\nb = 2\n\nb = 3\n",
		    "groups.d/t.ini:5: duplicate key 'b' in [group] (first on line 3); keep one");
	parse_fails("# hi\ntype = pci\n[group]\n",
		    "groups.d/t.ini:2: key 'type' before any [section] header; add the header above it");
	parse_fails("[group]\na = 1\n[x]\n[group]\n",
		    "groups.d/t.ini:4: duplicate section [group] (first on line 1); merge the two");
	parse_fails("[group]\n = 1\n",
		    "groups.d/t.ini:2: missing key name before '='");
	parse_fails("[]\n", "groups.d/t.ini:1: empty section name '[]'");
	parse_fails("[a]\n  [b]\n", "groups.d/t.ini:2: indented section header; start it in the first column");
	parse_fails("[group] type = pci\n",
		    "groups.d/t.ini:1: unexpected text after ']'; put a comment on its own line starting with '#'");
	parse_fails("[r]\nmatch = a eq 1\n  and b eq 2 ; two\n",
		    "groups.d/t.ini:3: ';' comment on a continuation line (of 'match'); put the comment on its own line");
	/* the first error wins, whoever found it (inih or us) */
	parse_fails("[group]\nnonsense\na = 1\na = 2\n",
		    "groups.d/t.ini:2: expected 'key = value' or '[section]'");
	parse_fails("[group]\na = 1\na = 2\nnonsense\n",
		    "groups.d/t.ini:3: duplicate key 'a' in [group] (first on line 2); keep one");

	/* inih splits lines of more than 198 characters: refused */
	memset(text, 0, sizeof(text));
	strcpy(text, "[g]\nk = ");
	memset(text + strlen(text), 'x', 199 - 4);
	strcat(text, "\n");
	parse_fails(text, "groups.d/t.ini:2: line too long (199 characters, at most 198); continue a long value on indented lines");
	/* 198 is fine */
	text[strlen(text) - 2] = '\n';
	text[strlen(text) - 1] = '\0';
	pt__ini_free(parse_ok(text));
}

static const char edit_base[] =
	"# header comment\n"
	"[group]\n"
	"type = pci   ; the type\n"
	"description = GPUs\n"
	"# about the rules\n"
	"\n"
	"# rule a\n"
	"[rule \"a\"]\n"
	"match = vendor_id eq 10de\n"
	"        and device_id eq 20b0\n"
	"; trailing comment of a\n"
	"\n"
	"[rule \"b\"]\n"
	"match = slot eq 0000:03:00.0\n";

static void test_set(void **state)
{
	struct pt_ini_file *f = parse_ok(edit_base);

	/* replace: the whole old line goes (inline comment too) */
	assert_int_equal(pt__ini_set(f, "group", "type", "vgpu"), 0);
	assert_true(f->dirty);
	/* insert: after the section's last key, before its comments */
	assert_int_equal(pt__ini_set(f, "group", "profile", "nvidia-558"), 0);
	/* replace a continued value: its continuation lines go too */
	assert_int_equal(pt__ini_set(f, "rule \"a\"", "match", "vendor_id eq 10de"), 0);
	/* insert into a section after a continued key */
	assert_int_equal(pt__ini_set(f, "rule \"a\"", "node", "node1*"), 0);
	/* a new section at the end, after one blank line */
	assert_int_equal(pt__ini_set(f, "rule \"c\"", "match", "driver eq \"\""), 0);
	assert_render(f,
		"# header comment\n"
		"[group]\n"
		"type = vgpu\n"
		"description = GPUs\n"
		"profile = nvidia-558\n"
		"# about the rules\n"
		"\n"
		"# rule a\n"
		"[rule \"a\"]\n"
		"match = vendor_id eq 10de\n"
		"node = node1*\n"
		"; trailing comment of a\n"
		"\n"
		"[rule \"b\"]\n"
		"match = slot eq 0000:03:00.0\n"
		"\n"
		"[rule \"c\"]\n"
		"match = driver eq \"\"\n");
	assert_string_equal(pt__ini_get(f, "group", "profile"), "nvidia-558");
	assert_int_equal(pt__ini_find_section(f, "rule \"c\"")->line, 17);
	assert_int_equal(pt__ini_find_section(f, "rule \"c\"")->kv[0].line, 18);
	/* an empty value */
	assert_int_equal(pt__ini_set(f, "group", "description", ""), 0);
	assert_string_equal(pt__ini_get(f, "group", "description"), "");
	assert_string_equal(f->lines[3], "description =");
	pt__ini_free(f);

	/* a new section into an empty file: no blank line first */
	f = parse_ok("");
	assert_int_equal(pt__ini_set(f, "group", "type", "usb"), 0);
	assert_render(f, "[group]\ntype = usb\n");
	/* a section without keys gets its key right after the header */
	pt__ini_free(f);
	f = parse_ok("[a]\n# c\n\n[b]\nx = 1\n");
	assert_int_equal(pt__ini_set(f, "a", "k", "v"), 0);
	assert_render(f, "[a]\nk = v\n# c\n\n[b]\nx = 1\n");
	pt__ini_free(f);
}

static void test_set_refused(void **state)
{
	struct pt_ini_file *f = parse_ok(edit_base);
	char *before = pt__ini_render(f);

	/* values inih cannot give back unchanged */
	assert_int_equal(pt__ini_set(f, "group", "description", " lead"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "description", "trail "), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "description", "a ; b"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "description", "a\tb\t;c"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "description", "two\nlines"), -EINVAL);
	/* keys and sections that would not read back */
	assert_int_equal(pt__ini_set(f, "group", "a key", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "k=v", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "gr]oup", "k", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "", "k", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "a ;b", "k", "x"), -EINVAL);
	assert_int_equal(pt__ini_set(f, "group", "k", NULL), -EINVAL);
	/* ';' with no whitespace before it is fine */
	assert_false(f->dirty);
	assert_render(f, before);
	assert_int_equal(pt__ini_set(f, "group", "description", "a;b"), 0);
	assert_string_equal(pt__ini_get(f, "group", "description"), "a;b");
	free(before);
	pt__ini_free(f);
}

/* Long values are written as continuation lines that read back whole. */
static void test_set_long_value(void **state)
{
	struct pt_ini_file *f = parse_ok("[rule \"r\"]\n");
	char value[1200] = "", word[64], *text;
	struct pt_ini_file *g;

	for (int i = 0; strlen(value) < 1000; i++) {
		snprintf(word, sizeof(word), "%sfield%d eq %d", i ? " and " : "", i, i * 7);
		strcat(value, word);
	}
	assert_int_equal(pt__ini_set(f, "rule \"r\"", "match", value), 0);
	assert_string_equal(pt__ini_get(f, "rule \"r\"", "match"), value);
	assert_true(f->n_lines > 6);
	for (size_t i = 0; i < f->n_lines; i++)
		assert_true(strlen(f->lines[i]) <= 198);
	assert_int_equal(strncmp(f->lines[2], "        ", 8), 0);
	/* and it parses from its text the same way */
	text = pt__ini_render(f);
	g = parse_ok(text);
	assert_string_equal(pt__ini_get(g, "rule \"r\"", "match"), value);
	pt__ini_free(g);
	free(text);
	/* replacing it drops every continuation line */
	assert_int_equal(pt__ini_set(f, "rule \"r\"", "match", "a eq 1"), 0);
	assert_render(f, "[rule \"r\"]\nmatch = a eq 1\n");

	/* no space to split at: refused */
	memset(value, 'x', 300);
	value[300] = '\0';
	assert_int_equal(pt__ini_set(f, "rule \"r\"", "match", value), -EINVAL);
	/* a continuation line may not start with a comment character */
	memset(value, 'x', 195);
	strcpy(value + 195, " #y");
	assert_int_equal(pt__ini_set(f, "rule \"r\"", "match", value), -EINVAL);
	assert_render(f, "[rule \"r\"]\nmatch = a eq 1\n");
	pt__ini_free(f);
}

static void test_unset(void **state)
{
	struct pt_ini_file *f = parse_ok(edit_base);

	assert_int_equal(pt__ini_unset(f, "rule \"a\"", "match"), 0);
	assert_int_equal(pt__ini_unset(f, "group", "description"), 0);
	assert_int_equal(pt__ini_unset(f, "group", "vlan"), -ENOENT);
	assert_int_equal(pt__ini_unset(f, "nope", "type"), -ENOENT);
	assert_render(f,
		"# header comment\n"
		"[group]\n"
		"type = pci   ; the type\n"
		"# about the rules\n"
		"\n"
		"# rule a\n"
		"[rule \"a\"]\n"
		"; trailing comment of a\n"
		"\n"
		"[rule \"b\"]\n"
		"match = slot eq 0000:03:00.0\n");
	assert_null(pt__ini_get(f, "rule \"a\"", "match"));
	assert_int_equal(pt__ini_find_section(f, "rule \"b\"")->line, 10);
	pt__ini_free(f);
}

static void test_remove_section(void **state)
{
	struct pt_ini_file *f = parse_ok(edit_base);

	/* the comment directly above goes with it, one blank line stays */
	assert_int_equal(pt__ini_remove_section(f, "rule \"a\""), 0);
	assert_render(f,
		"# header comment\n"
		"[group]\n"
		"type = pci   ; the type\n"
		"description = GPUs\n"
		"# about the rules\n"
		"\n"
		"[rule \"b\"]\n"
		"match = slot eq 0000:03:00.0\n");
	assert_int_equal(pt__ini_remove_section(f, "rule \"a\""), -ENOENT);
	/* the last section: the blank line before it goes too */
	assert_int_equal(pt__ini_remove_section(f, "rule \"b\""), 0);
	assert_render(f,
		"# header comment\n"
		"[group]\n"
		"type = pci   ; the type\n"
		"description = GPUs\n"
		"# about the rules\n");
	assert_int_equal(f->n_sections, 1);
	pt__ini_free(f);

	/* a middle section, comments of the next one kept */
	f = parse_ok("[a]\nx = 1\n\n[b]\ny = 2\n# note\n\n# about c\n[c]\nz = 3\n");
	assert_int_equal(pt__ini_remove_section(f, "b"), 0);
	assert_render(f, "[a]\nx = 1\n\n# about c\n[c]\nz = 3\n");
	assert_int_equal(pt__ini_remove_section(f, "a"), 0);
	assert_render(f, "# about c\n[c]\nz = 3\n");
	assert_int_equal(pt__ini_remove_section(f, "c"), 0);
	assert_render(f, "");
	pt__ini_free(f);
}

static void test_closest(void **state)
{
	static const char *const keys[] = {
		"type", "description", "numvfs", "vlan", "vlan_proto", "qos",
		"min_tx_rate", "max_tx_rate", "link_state", NULL,
	};
	static const char *const ops[] = {
		"eq", "ne", "lt", "le", "gt", "ge", "begins", "ends",
		"contains", "icontains", "regex", NULL,
	};

	assert_string_equal(pt__closest("vlna", keys), "vlan");
	assert_string_equal(pt__closest("vlan", keys), "vlan");
	assert_string_equal(pt__closest("typ", keys), "type");
	assert_string_equal(pt__closest("descripton", keys), "description");
	assert_string_equal(pt__closest("max_rx_rate", keys), "max_tx_rate");
	assert_string_equal(pt__closest("linkstate", keys), "link_state");
	assert_null(pt__closest("profile", keys));
	assert_null(pt__closest("", keys));
	assert_string_equal(pt__closest("icontans", ops), "icontains");
	assert_string_equal(pt__closest("beigns", ops), "begins");
	assert_string_equal(pt__closest("qe", ops), "eq");
	assert_null(pt__closest("x", ops));
	assert_null(pt__closest("matches", ops));
	assert_null(pt__closest("vlna", NULL));
}

/* ---- the line model against inih itself ---------------------------------- */

struct ev {
	char sec[64], name[64], value[256];
};

struct evlist {
	struct ev e[64];
	int n;
};

static int record(void *user, const char *sec, const char *name,
		  const char *value)
{
	struct evlist *l = user;

	if (l->n < 64) {
		snprintf(l->e[l->n].sec, sizeof(l->e[0].sec), "%s", sec);
		snprintf(l->e[l->n].name, sizeof(l->e[0].name), "%s", name);
		snprintf(l->e[l->n].value, sizeof(l->e[0].value), "%s", value);
	}
	l->n++;
	return 1;
}

/*
 * What inih reports for text, folded the way the line model reads it
 * (a repeated name right after itself is a continuation when the line is
 * indented, which the caller cannot see here, so compare the joined form
 * against ours: our keys, in file order, with continuations joined).
 */
static void assert_agrees(struct pt_ini_file *f, const char *text)
{
	struct evlist l = { .n = 0 };
	int k = 0, r = ini_parse_string(text, record, &l);
	char joined[1024];

	assert_int_equal(r, 0);
	assert_true(l.n < 64);
	for (size_t s = 0; s < f->n_sections; s++) {
		struct pt_ini_section *sec = &f->sections[s];

		for (size_t i = 0; i < sec->n_kv; i++) {
			assert_true(k < l.n);
			/* inih keeps 49 bytes of a section name */
			assert_int_equal(strncmp(l.e[k].sec, sec->name, 49), 0);
			assert_string_equal(l.e[k].name, sec->kv[i].key);
			snprintf(joined, sizeof(joined), "%s", l.e[k].value);
			/* following events for the same name: continuations */
			while (k + 1 < l.n && !strcmp(l.e[k + 1].name, l.e[k].name) &&
			       !strcmp(l.e[k + 1].sec, l.e[k].sec) &&
			       strlen(joined) < strlen(sec->kv[i].value)) {
				k++;
				if (*joined)
					strcat(joined, " ");
				strcat(joined, l.e[k].value);
			}
			assert_string_equal(joined, sec->kv[i].value);
			k++;
		}
	}
	assert_int_equal(k, l.n);
}

static unsigned int rnd_state = 12345;

static unsigned int rnd(unsigned int n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) % n;
}

/*
 * Random files from tricky pieces: whatever parses must mean what inih
 * says, render back byte for byte, and stay in agreement through edits.
 */
static void test_model_agrees_with_inih(void **state)
{
	static const char *const pieces[] = {
		"[group]", "[rule \"a\"]", "[rule \"b\"] ; c", "  [indented]",
		"type = pci", "k = v ; comment", "k2 = a;b", "k3: colon",
		"  cont line", "\tcont tab", "    # indented comment", "# c",
		"; c", "", "   ", "x =", "node = n*", "[bad", "no equals",
		"  k4 = 4", "long = a b c d e f", "[group]  # c", "k\t=\tv",
	};
	static const char *const sections[] = { "group", "rule \"a\"", "new" };
	static const char *const keys[] = { "k", "k2", "match", "type", "x" };
	static const char *const values[] = {
		"1", "a;b", "", "a b  c", "0000:03:00.0", "\"q v\"",
	};
	int parsed = 0;

	for (int iter = 0; iter < 3000; iter++) {
		char text[2048] = "", err[256];
		struct pt_ini_file *f = NULL;
		int n = 1 + rnd(10);

		for (int i = 0; i < n; i++) {
			strcat(text, pieces[rnd(sizeof(pieces) / sizeof(*pieces))]);
			strcat(text, "\n");
		}
		if (pt__ini_parse("t.ini", text, &f, err, sizeof(err)) < 0)
			continue;
		parsed++;
		assert_render(f, text);
		assert_agrees(f, text);
		for (int e = 0; e < 4; e++) {
			const char *sec = sections[rnd(3)];
			const char *key = keys[rnd(5)];
			char *now;
			int r;

			switch (rnd(3)) {
			case 0:
				r = pt__ini_set(f, sec, key, values[rnd(6)]);
				assert_int_equal(r, 0);
				break;
			case 1:
				r = pt__ini_unset(f, sec, key);
				assert_true(r == 0 || r == -ENOENT);
				break;
			default:
				r = pt__ini_remove_section(f, sec);
				assert_true(r == 0 || r == -ENOENT);
				break;
			}
			now = pt__ini_render(f);
			assert_agrees(f, now);
			free(now);
		}
		pt__ini_free(f);
	}
	/* the generator must produce enough valid files to mean something */
	assert_true(parsed > 300);
}

/* Files inih rejects are rejected here too. */
static void test_inih_errors_kept(void **state)
{
	static const char *const bad[] = {
		"[a]\nno equals\n", "[a\n", "[a]\nk = 1\n[b ; c]\n",
		"[a]\n; ok\n  ;ok\nkey ;c = 1\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct evlist l = { .n = 0 };
		struct pt_ini_file *f = NULL;
		char err[256];

		assert_true(ini_parse_string(bad[i], record, &l) > 0);
		assert_int_equal(pt__ini_parse("t.ini", bad[i], &f, err,
					       sizeof(err)), -EINVAL);
	}
}

/* ---- the store ---------------------------------------------------------- */

static int setup(void **state)
{
	struct tu_host *f = tu_host_new(TU_CONF);

	tu_host_ctx(f);
	*state = f;
	return 0;
}

static struct pt_store *open_ok(struct tu_host *f, bool write)
{
	struct pt_store *st = NULL;
	int r = pt__store_open(f->ctx, write, &st, f->err, sizeof(f->err));

	if (r)
		print_error("store open: %d: %s\n", r, f->err);
	assert_int_equal(r, 0);
	return st;
}

static char *slurp(struct tu_host *f, const char *rel)
{
	char path[600], *buf = calloc(1, 65536);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->conf, rel);
	fp = fopen(path, "r");
	if (!fp) {
		free(buf);
		return NULL;
	}
	fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

/* The file rel of the conf dir holds exactly want. */
static void file_is(struct tu_host *f, const char *rel, const char *want)
{
	char *text = slurp(f, rel);

	assert_string_equal(text, want);
	free(text);
}

static bool exists(struct tu_host *f, const char *rel)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", f->conf, rel);
	return lstat(path, &sb) == 0;
}

/*
 * A store directory with one record, killed writers' temp files and files
 * that are not ours: a read open lists the record and leaves the temps, a
 * write open lists it again and removes the temps, and nothing else.
 */
static void store_stale_temps(struct tu_host *f, const char *const temps[],
			      const char *const kept[])
{
	struct pt_store *st = open_ok(f, false);

	assert_int_equal(st->n_files, 1);
	pt__store_close(st);
	for (size_t i = 0; temps[i]; i++)
		assert_true(exists(f, temps[i]));
	st = open_ok(f, true);
	assert_int_equal(st->n_files, 1);
	for (size_t i = 0; temps[i]; i++)
		assert_false(exists(f, temps[i]));
	for (size_t i = 0; kept[i]; i++)
		assert_true(exists(f, kept[i]));
	pt__store_close(st);
}

/*
 * <dir>/gpu.ini a link to a record (rec) elsewhere: refused (-ELOOP, with
 * the fix) to readers and writers, the link left. Then <dir> itself a link:
 * refused to readers, and to writers too when dir_write.
 */
static void store_refuses_links(struct tu_host *f, const char *dir, const char *rec,
				bool dir_write)
{
	struct pt_store *st = NULL;
	char rel[64], msg[64];

	tu_write(f->root, "elsewhere.ini", rec);
	snprintf(rel, sizeof(rel), "etc-passthru/%s", dir);
	tu_mkdir(f->root, rel);
	snprintf(rel, sizeof(rel), "etc-passthru/%s/gpu.ini", dir);
	tu_symlink(f->root, rel, "../../elsewhere.ini");
	snprintf(msg, sizeof(msg), "%s/gpu.ini: is a symbolic link", dir);
	for (int w = 0; w < 2; w++) {
		assert_int_equal(pt__store_open(f->ctx, w, &st, f->err,
						sizeof(f->err)), -ELOOP);
		assert_null(st);
		assert_non_null(strstr(f->err, msg));
		assert_non_null(strstr(f->err, "replace it with a copy"));
	}
	/* the link and its target are untouched */
	assert_true(exists(f, rel + strlen("etc-passthru/")));

	tu_rmtree(f->conf);
	tu_mkdir(f->root, "real.d");
	tu_mkdir(f->root, "etc-passthru");
	snprintf(rel, sizeof(rel), "etc-passthru/%s", dir);
	tu_symlink(f->root, rel, "../real.d");
	snprintf(msg, sizeof(msg), "%s: is a symbolic link", dir);
	for (int w = 0; w <= dir_write; w++) {
		assert_int_equal(pt__store_open(f->ctx, w, &st, f->err,
						sizeof(f->err)), -ELOOP);
		assert_non_null(strstr(f->err, msg));
	}
}

static void test_store_missing_dir(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = open_ok(f, false);
	struct pt_ini_file *n;

	assert_int_equal(st->n_files, 0);
	assert_int_equal(st->lockfd, -1);
	assert_false(exists(f, ""));
	/* in-memory edits work (for --dry-run); commit does not */
	assert_int_equal(pt__store_new_file(st, "groups.d/gpu.ini", &n), 0);
	assert_int_equal(pt__ini_set(n, "group", "type", "pci"), 0);
	assert_int_equal(pt__store_commit(st), -EBADF);
	pt__store_close(st);
	assert_false(exists(f, ""));

	/* a conf dir without groups.d: zero files too */
	tu_mkdir(f->root, "etc-passthru");
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 0);
	pt__store_close(st);
}

static void test_store_new_commit_reopen(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	mode_t old = umask(077);
	struct stat sb;
	char path[600], *s;
	int fd;

	st = open_ok(f, true);
	assert_true(st->lockfd >= 0);
	assert_true(exists(f, ".lock"));
	assert_true(exists(f, "groups.d"));
	/* the lock is held: another open file description cannot take it */
	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);

	assert_int_equal(pt__store_new_file(st, "groups.d/gpu.ini", &n), 0);
	assert_true(n->dirty);
	assert_ptr_equal(pt__store_find(st, "groups.d/gpu.ini"), n);
	assert_int_equal(pt__store_new_file(st, "groups.d/gpu.ini", &n), -EEXIST);
	assert_int_equal(pt__store_new_file(st, "groups.d/../x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "groups.d/.x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "groups.d/a b.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "groups.d/x.conf", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "groups.d/sub/x.ini", &n), -EINVAL);
	n = pt__store_find(st, "groups.d/gpu.ini");
	assert_int_equal(pt__ini_set(n, "group", "type", "vgpu"), 0);
	assert_int_equal(pt__ini_set(n, "rule \"a\"", "match", "vendor_id eq 10de"), 0);
	assert_int_equal(pt__store_new_file(st, "groups.d/empty.ini", &n), 0);
	assert_false(exists(f, "groups.d/gpu.ini"));
	assert_int_equal(pt__store_commit(st), 0);
	umask(old);
	assert_false(pt__store_find(st, "groups.d/gpu.ini")->dirty);
	pt__store_close(st);
	/* the lock went with the store */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);

	snprintf(path, sizeof(path), "%s/groups.d/gpu.ini", f->conf);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	if (geteuid() == 0)
		assert_int_equal(sb.st_uid, 0);
	snprintf(path, sizeof(path), "%s/groups.d/empty.ini", f->conf);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	file_is(f, "groups.d/gpu.ini", "[group]\ntype = vgpu\n\n[rule \"a\"]\nmatch = vendor_id eq 10de\n");

	/* both readers and writers see it, sorted by name */
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 2);
	assert_string_equal(st->files[0]->relpath, "groups.d/empty.ini");
	assert_string_equal(st->files[1]->relpath, "groups.d/gpu.ini");
	assert_string_equal(pt__ini_get(pt__store_find(st, "groups.d/gpu.ini"),
					"rule \"a\"", "match"), "vendor_id eq 10de");
	pt__store_close(st);
	st = open_ok(f, true);
	assert_int_equal(st->n_files, 2);
	/* nothing dirty: commit writes nothing and the diff is empty */
	s = pt__store_diff(st);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
}

static void test_store_delete(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	char *d;

	tu_write(f->root, "etc-passthru/groups.d/a.ini", "[group]\ntype = pci\n");
	tu_write(f->root, "etc-passthru/groups.d/b.ini", "[group]\ntype = usb\n");
	st = open_ok(f, true);
	assert_int_equal(st->n_files, 2);
	assert_int_equal(pt__store_delete_file(st, "groups.d/a.ini"), 0);
	assert_null(pt__store_find(st, "groups.d/a.ini"));
	assert_int_equal(pt__store_delete_file(st, "groups.d/a.ini"), -ENOENT);
	assert_int_equal(pt__store_delete_file(st, "groups.d/zz.ini"), -ENOENT);
	/* created and deleted in one go: nothing to do */
	assert_int_equal(pt__store_new_file(st, "groups.d/tmp.ini", &n), 0);
	assert_int_equal(pt__ini_set(n, "group", "type", "pci"), 0);
	assert_int_equal(pt__store_delete_file(st, "groups.d/tmp.ini"), 0);
	d = pt__store_diff(st);
	assert_string_equal(d,
		"--- a/groups.d/a.ini\n"
		"+++ /dev/null\n"
		"@@ -1,2 +0,0 @@\n"
		"-[group]\n"
		"-type = pci\n");
	free(d);
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
	assert_false(exists(f, "groups.d/a.ini"));
	assert_false(exists(f, "groups.d/tmp.ini"));
	assert_true(exists(f, "groups.d/b.ini"));

	/* deleted and created again: the new content replaces the old */
	st = open_ok(f, true);
	assert_int_equal(pt__store_delete_file(st, "groups.d/b.ini"), 0);
	assert_int_equal(pt__store_new_file(st, "groups.d/b.ini", &n), 0);
	assert_int_equal(n->n_lines, 0);
	assert_int_equal(pt__ini_set(n, "group", "type", "pci"), 0);
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
	file_is(f, "groups.d/b.ini", "[group]\ntype = pci\n");
}

static void test_store_diff(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	char *d;

	tu_write(f->root, "etc-passthru/groups.d/nic.ini",
		 "# uplinks\n[group]\ntype = sriov-nic\nnumvfs = 8\nvlan = 100\n"
		 "qos = 1\n\n[rule \"a\"]\nmatch = pf eq eth0\n\n"
		 "[rule \"b\"]\nmatch = pf eq eth1\n\n[rule \"c\"]\nmatch = pf eq eth2\n");
	tu_write(f->root, "etc-passthru/groups.d/raw.ini", "[group]\ntype = pci");
	st = open_ok(f, true);
	n = pt__store_find(st, "groups.d/nic.ini");
	assert_int_equal(pt__ini_set(n, "group", "vlan", "200"), 0);
	assert_int_equal(pt__ini_set(n, "rule \"c\"", "node", "node1"), 0);
	n = pt__store_find(st, "groups.d/raw.ini");
	assert_int_equal(pt__ini_set(n, "group", "description", "x"), 0);
	assert_int_equal(pt__store_new_file(st, "groups.d/new.ini", &n), 0);
	assert_int_equal(pt__ini_set(n, "group", "type", "usb"), 0);
	d = pt__store_diff(st);
	/* the text diff -u writes */
	assert_string_equal(d,
		"--- /dev/null\n"
		"+++ b/groups.d/new.ini\n"
		"@@ -0,0 +1,2 @@\n"
		"+[group]\n"
		"+type = usb\n"
		"--- a/groups.d/nic.ini\n"
		"+++ b/groups.d/nic.ini\n"
		"@@ -2,7 +2,7 @@\n"
		" [group]\n"
		" type = sriov-nic\n"
		" numvfs = 8\n"
		"-vlan = 100\n"
		"+vlan = 200\n"
		" qos = 1\n"
		" \n"
		" [rule \"a\"]\n"
		"@@ -13,3 +13,4 @@\n"
		" \n"
		" [rule \"c\"]\n"
		" match = pf eq eth2\n"
		"+node = node1\n"
		"--- a/groups.d/raw.ini\n"
		"+++ b/groups.d/raw.ini\n"
		"@@ -1,2 +1,3 @@\n"
		" [group]\n"
		"-type = pci\n"
		"\\ No newline at end of file\n"
		"+type = pci\n"
		"+description = x\n");
	free(d);
	/* nothing was written */
	file_is(f, "groups.d/raw.ini", "[group]\ntype = pci");
	pt__store_close(st);
	assert_false(exists(f, "groups.d/new.ini"));
}

/* Hunks three lines of context apart merge; further apart they split. */
static void test_store_diff_hunks(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	char *d;

	tu_write(f->root, "etc-passthru/groups.d/g.ini",
		 "[a]\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\nk7 = 7\n"
		 "k8 = 8\nk9 = 9\n");
	st = open_ok(f, true);
	n = pt__store_find(st, "groups.d/g.ini");
	assert_int_equal(pt__ini_set(n, "a", "k1", "x"), 0);
	assert_int_equal(pt__ini_set(n, "a", "k8", "x"), 0);
	d = pt__store_diff(st);
	assert_string_equal(d,
		"--- a/groups.d/g.ini\n"
		"+++ b/groups.d/g.ini\n"
		"@@ -1,10 +1,10 @@\n"
		" [a]\n-k1 = 1\n+k1 = x\n k2 = 2\n k3 = 3\n k4 = 4\n k5 = 5\n"
		" k6 = 6\n k7 = 7\n-k8 = 8\n+k8 = x\n k9 = 9\n");
	free(d);
	assert_int_equal(pt__ini_set(n, "a", "k8", "8"), 0);
	assert_int_equal(pt__ini_set(n, "a", "k9", "x"), 0);
	d = pt__store_diff(st);
	assert_string_equal(d,
		"--- a/groups.d/g.ini\n"
		"+++ b/groups.d/g.ini\n"
		"@@ -1,5 +1,5 @@\n"
		" [a]\n-k1 = 1\n+k1 = x\n k2 = 2\n k3 = 3\n k4 = 4\n"
		"@@ -7,4 +7,4 @@\n"
		" k6 = 6\n k7 = 7\n k8 = 8\n-k9 = 9\n+k9 = x\n");
	free(d);
	pt__store_close(st);
}

static void test_store_stale_temp(void **state)
{
	struct tu_host *f = *state;

	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	/* a killed writer's temp file, half written */
	tu_write(f->root, "etc-passthru/groups.d/.gpu.ini.Ab12cD", "[group]\nty");
	/* not ours: an editor's swap file, a backup, a README */
	tu_write(f->root, "etc-passthru/groups.d/.gpu.ini.swp", "junk");
	tu_write(f->root, "etc-passthru/groups.d/gpu.ini~", "junk");
	tu_write(f->root, "etc-passthru/groups.d/README", "junk");
	store_stale_temps(f, (const char *const[]){ "groups.d/.gpu.ini.Ab12cD", NULL },
			  (const char *const[]){ "groups.d/.gpu.ini.swp", "groups.d/gpu.ini~",
						 "groups.d/README", NULL });
}

static void test_store_symlink(void **state)
{
	store_refuses_links(*state, "groups.d", "[group]\ntype = pci\n", false);
}

static void test_store_invalid(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL;
	char path[600];
	int fd;

	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\ntype = usb\n");
	assert_int_equal(pt__store_open(f->ctx, true, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_null(st);
	assert_string_equal(f->err, "groups.d/gpu.ini:3: duplicate key 'type' in [group] (first on line 2); keep one");
	/* the lock is released on failure */
	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);

	tu_rmtree(f->conf);
	tu_write(f->root, "etc-passthru/groups.d/my gpu.ini", "[group]\ntype = pci\n");
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "groups.d/my gpu.ini: 'my gpu' is not a valid group name"));

	tu_rmtree(f->conf);
	tu_mkdir(f->root, "etc-passthru/groups.d/dir.ini");
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_string_equal(f->err, "groups.d/dir.ini: not a regular file; remove it or rename it so it does not end in .ini");
}

/* Unreadable state: -EACCES and a message with the fix (run unprivileged). */
static void test_store_permission(void **state)
{
	struct tu_host *f = *state;
	int status;
	pid_t pid;

	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	/* the temp root is 0700: closed to anyone but its owner */
	if (geteuid() != 0)
		chmod(f->root, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pt_store *st = NULL;
		int r;

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(10);
		for (int w = 0; w < 2; w++) {
			r = pt__store_open(f->ctx, w, &st, f->err, sizeof(f->err));
			if (r != -EACCES || st)
				_exit(11 + w);
			if (!strstr(f->err, f->conf) ||
			    !strstr(f->err, "Permission denied; run as root or use -O conf.dir=DIR"))
				_exit(13 + w);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	chmod(f->root, 0700);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the lock and who may touch the state ------------------------------- */

/* The lock is created 0600 whatever the umask, and says who holds it. */
static void test_lock_mode_and_holder(void **state)
{
	struct tu_host *f = *state;
	char *text;
	struct pt_store *st;
	struct stat sb;
	char path[600], want[32];
	mode_t old = umask(0);

	st = open_ok(f, true);
	umask(old);
	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	text = slurp(f, ".lock");
	snprintf(want, sizeof(want), "%ld ", (long)getpid());
	assert_true(!strncmp(text, want, strlen(want)));
	free(text);
	pt__store_close(st);
	/* released: the line goes with the lock */
	file_is(f, ".lock", "");
}

/* An existing lock is never chmod'ed: a 0640 one stays 0640 (non-root). */
static void test_lock_not_chmoded(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct stat sb;
	char path[600];

	if (geteuid() == 0)
		skip();		/* root refuses it instead (test_trust) */
	tu_write(f->root, "etc-passthru/.lock", "");
	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	chmod(path, 0640);
	st = open_ok(f, true);
	pt__store_close(st);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
}

/* A hard-linked lock could be any file: refused, and left alone. */
static void test_lock_hard_link(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL;
	char path[600], other[600];
	struct stat sb;

	tu_write(f->root, "precious", "keep\n");
	snprintf(other, sizeof(other), "%s/precious", f->root);
	chmod(other, 0600);
	tu_mkdir(f->root, "etc-passthru");
	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_null(st);
	assert_non_null(strstr(f->err, ".lock: has 2 links; the lock is never hard-linked"));
	assert_int_equal(stat(other, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 5);
}

/* A held lock: wait the timeout, then -ETIMEDOUT naming the holder. */
static void test_lock_timeout(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL, *held;
	struct timespec t0, t1;
	char want[64];
	int r;

	held = open_ok(f, true);
	assert_int_equal(pt_set_lock_timeout(f->ctx, 1), 0);
	assert_int_equal(pt_set_lock_timeout(f->ctx, -1), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r, -ETIMEDOUT);
	assert_null(st);
	assert_true(t1.tv_sec - t0.tv_sec >= 1 && t1.tv_sec - t0.tv_sec < 5);
	snprintf(want, sizeof(want), ".lock: held by pid %ld (", (long)getpid());
	assert_non_null(strstr(f->err, want));
	assert_non_null(strstr(f->err, "gave up after 1 s"));
	assert_non_null(strstr(f->err, "-O lock.timeout=SECONDS"));
	/* the waiter did not clear the holder's line */
	assert_int_equal(pt_set_lock_timeout(f->ctx, 0), 0);
	assert_int_equal(pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(f->err, want));
	pt__store_close(held);
	st = open_ok(f, true);
	pt__store_close(st);
}

/* As root, state others may write or own is refused with the fix. */
static void test_trust(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL;
	char path[600];

	if (geteuid() != 0)
		skip();
	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	st = open_ok(f, false);
	pt__store_close(st);

	chmod(f->conf, 0777);
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "mode 0777 lets other users write it"));
	assert_non_null(strstr(f->err, "chmod go-w "));
	chmod(f->conf, 0755);

	snprintf(path, sizeof(path), "%s/groups.d", f->conf);
	assert_int_equal(chown(path, 65534, 0), 0);
	assert_int_equal(pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "groups.d: owned by uid 65534, not root"));
	assert_non_null(strstr(f->err, "chown root:root "));
	assert_int_equal(chown(path, 0, 0), 0);

	snprintf(path, sizeof(path), "%s/groups.d/gpu.ini", f->conf);
	chmod(path, 0664);
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "groups.d/gpu.ini: mode 0664"));
	chmod(path, 0644);

	snprintf(path, sizeof(path), "%s/.lock", f->conf);
	chmod(path, 0644);
	assert_int_equal(pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, ".lock: mode 0644 lets other users open it"));
	assert_non_null(strstr(f->err, "chmod 600 "));
	chmod(path, 0600);
	st = open_ok(f, true);
	pt__store_close(st);
}

/*
 * groups.d/ created by the store is 0755 through an fd of the new
 * directory: a symlink planted at its name is never chmod'ed through.
 */
static void test_mkdir_no_follow(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	char path[600], victim[600];
	struct stat sb;
	mode_t old = umask(077);

	st = open_ok(f, true);
	umask(old);
	snprintf(path, sizeof(path), "%s/groups.d", f->conf);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(lstat(f->conf, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	pt__store_close(st);
	/* applied.d/ as a symlink to a private dir: refused, not chmod'ed */
	tu_mkdir(f->root, "private");
	snprintf(victim, sizeof(victim), "%s/private", f->root);
	chmod(victim, 0700);
	snprintf(path, sizeof(path), "%s/applied.d", f->conf);
	assert_int_equal(symlink(victim, path), 0);
	st = NULL;
	assert_true(pt__store_open(f->ctx, true, &st, f->err, sizeof(f->err)) < 0);
	assert_int_equal(lstat(victim, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
}

/* ---- applied.d: the record of pt-group apply, in the same store --------- */

static const char applied_rec[] =
	"# Written by pt-group apply: what it changed on this host. pt-group release undoes it.\n"
	"[applied]\n"
	"type = pci\n"
	"\n"
	"[device \"0000:03:00.0\"]\n"
	"role = member\n"
	"driver = e1000e\n"
	"driver_override =\n"
	"\n"
	"[pf \"0000:05:00.0\"]\n"
	"sriov_numvfs = 0\n"
	"sriov_drivers_autoprobe = 1\n"
	"\n"
	"[vf \"0000:05:00.0/3\"]\n"
	"vlan = 0\n"
	"qos = 0\n";

static void test_applied_relpath(void **state)
{
	char buf[128], small[12];

	(void)state;
	assert_int_equal(pt__store_applied_relpath("gpu", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "applied.d/gpu.ini");
	assert_int_equal(pt__store_applied_relpath("a-b_c.1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "applied.d/a-b_c.1.ini");
	assert_int_equal(pt__store_applied_relpath("", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath(".x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath("a/b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath("../x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath("a b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__store_applied_relpath("gpu", small, sizeof(small)), -ERANGE);
}

static void test_store_applied_round_trip(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	mode_t old = umask(077);
	struct stat sb;
	char path[600], rel[64], *s;

	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	st = open_ok(f, true);
	/* a writer does not create applied.d until it writes there */
	assert_false(exists(f, "applied.d"));
	assert_int_equal(pt__store_applied_relpath("gpu", rel, sizeof(rel)), 0);
	assert_null(pt__store_find(st, rel));
	assert_int_equal(pt__store_new_file(st, rel, &n), 0);
	assert_string_equal(n->relpath, "applied.d/gpu.ini");
	assert_int_equal(pt__store_new_file(st, rel, &n), -EEXIST);
	n = pt__store_find(st, rel);
	assert_int_equal(pt__ini_set(n, "applied", "type", "pci"), 0);
	assert_int_equal(pt__ini_set(n, "device \"0000:03:00.0\"", "role", "member"), 0);
	assert_int_equal(pt__ini_set(n, "device \"0000:03:00.0\"", "driver", "e1000e"), 0);
	assert_int_equal(pt__ini_set(n, "device \"0000:03:00.0\"", "driver_override", ""), 0);
	assert_int_equal(pt__ini_set(n, "vf \"0000:05:00.0/3\"", "vlan", "0"), 0);
	s = pt__store_diff(st);
	assert_string_equal(s,
		"--- /dev/null\n"
		"+++ b/applied.d/gpu.ini\n"
		"@@ -0,0 +1,10 @@\n"
		"+[applied]\n"
		"+type = pci\n"
		"+\n"
		"+[device \"0000:03:00.0\"]\n"
		"+role = member\n"
		"+driver = e1000e\n"
		"+driver_override =\n"
		"+\n"
		"+[vf \"0000:05:00.0/3\"]\n"
		"+vlan = 0\n");
	free(s);
	assert_int_equal(pt__store_commit(st), 0);
	umask(old);
	assert_false(n->dirty);
	pt__store_close(st);

	/* the directory and the file have the documented modes */
	snprintf(path, sizeof(path), "%s/applied.d", f->conf);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/applied.d/gpu.ini", f->conf);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644);
	if (geteuid() == 0)
		assert_int_equal(sb.st_uid, 0);
	file_is(f, "applied.d/gpu.ini",
		"[applied]\ntype = pci\n\n"
		"[device \"0000:03:00.0\"]\nrole = member\ndriver = e1000e\n"
		"driver_override =\n\n[vf \"0000:05:00.0/3\"]\nvlan = 0\n");

	/* the full format of design5.md reads back, comment and all */
	tu_write(f->root, "etc-passthru/applied.d/gpu.ini", applied_rec);
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 2);
	assert_string_equal(st->files[0]->relpath, "applied.d/gpu.ini");
	assert_string_equal(st->files[1]->relpath, "groups.d/gpu.ini");
	n = pt__store_find(st, "applied.d/gpu.ini");
	assert_non_null(n);
	assert_string_equal(pt__ini_get(n, "device \"0000:03:00.0\"", "driver"), "e1000e");
	assert_string_equal(pt__ini_get(n, "device \"0000:03:00.0\"", "driver_override"), "");
	assert_string_equal(pt__ini_get(n, "pf \"0000:05:00.0\"", "sriov_drivers_autoprobe"), "1");
	assert_string_equal(pt__ini_get(n, "vf \"0000:05:00.0/3\"", "qos"), "0");
	assert_render(n, applied_rec);
	pt__store_close(st);

	/* a release removes the record; the directory stays */
	st = open_ok(f, true);
	assert_int_equal(pt__store_delete_file(st, "applied.d/gpu.ini"), 0);
	assert_null(pt__store_find(st, "applied.d/gpu.ini"));
	assert_int_equal(pt__store_delete_file(st, "applied.d/gpu.ini"), -ENOENT);
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
	assert_false(exists(f, "applied.d/gpu.ini"));
	assert_true(exists(f, "applied.d"));
	assert_true(exists(f, "groups.d/gpu.ini"));
}

static void test_store_applied_missing(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;

	/* a conf dir with neither directory */
	tu_mkdir(f->root, "etc-passthru");
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 0);
	pt__store_close(st);
	st = open_ok(f, true);
	assert_int_equal(st->n_files, 0);
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
	assert_true(exists(f, "groups.d"));
	assert_false(exists(f, "applied.d"));

	/* applied.d without groups.d (a group's file removed by hand) */
	tu_rmtree(f->conf);
	tu_write(f->root, "etc-passthru/applied.d/gone.ini", applied_rec);
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 1);
	assert_string_equal(st->files[0]->relpath, "applied.d/gone.ini");
	pt__store_close(st);

	/* no conf dir at all: a read-only store, edits in memory only */
	tu_rmtree(f->conf);
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 0);
	assert_int_equal(pt__store_new_file(st, "applied.d/gpu.ini", &n), 0);
	assert_int_equal(pt__store_commit(st), -EBADF);
	pt__store_close(st);
	assert_false(exists(f, ""));
}

static void test_store_applied_invalid(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL;
	struct pt_ini_file *n;
	char *big;

	st = open_ok(f, true);
	assert_int_equal(pt__store_new_file(st, "applied.d/.x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d/a b.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d/../x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d/x.conf", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d/.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d/sub/x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.d", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied.dx/x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "applied/x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "other.d/x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_new_file(st, "/applied.d/x.ini", &n), -EINVAL);
	assert_int_equal(pt__store_delete_file(st, "applied.d/a b.ini"), -EINVAL);
	assert_int_equal(pt__store_delete_file(st, "other.d/x.ini"), -EINVAL);
	assert_int_equal(pt__store_delete_file(st, "applied.d/none.ini"), -ENOENT);
	assert_null(pt__store_find(st, "other.d/x.ini"));
	assert_int_equal(pt__store_commit(st), 0);
	pt__store_close(st);
	st = NULL;
	assert_false(exists(f, "applied.d"));

	/* on disk: a bad name, a parse error, a directory, NUL, too large */
	tu_write(f->root, "etc-passthru/applied.d/my gpu.ini", applied_rec);
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_null(st);
	assert_string_equal(f->err, "applied.d/my gpu.ini: 'my gpu' is not a valid group name (letters, digits, '-', '_', '.', no leading '.', at most 64); rename the file");

	tu_rmtree(f->conf);
	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	tu_write(f->root, "etc-passthru/applied.d/gpu.ini",
		 "[applied]\ntype = pci\ntype = usb\n");
	for (int w = 0; w < 2; w++) {
		assert_int_equal(pt__store_open(f->ctx, w, &st, f->err,
						sizeof(f->err)), -EINVAL);
		assert_null(st);
		assert_string_equal(f->err, "applied.d/gpu.ini:3: duplicate key 'type' in [applied] (first on line 2); keep one");
	}
	tu_write(f->root, "etc-passthru/applied.d/gpu.ini", "[applied]\ntype = pci\n[x\n");
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_string_equal(f->err, "applied.d/gpu.ini:3: missing ']' in section header; expected '[section]'");

	tu_rmtree(f->conf);
	tu_mkdir(f->root, "etc-passthru/applied.d/dir.ini");
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_string_equal(f->err, "applied.d/dir.ini: not a regular file; remove it or rename it so it does not end in .ini");

	tu_rmtree(f->conf);
	tu_mkdir(f->root, "etc-passthru/applied.d");
	{
		char path[600];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/applied.d/nul.ini", f->conf);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fwrite("[applied]\n\0type = pci\n", 1, 22, fp);
		fclose(fp);
	}
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EINVAL);
	assert_string_equal(f->err, "applied.d/nul.ini: contains a NUL byte; this is not a text file");

	tu_rmtree(f->conf);
	big = malloc(1024 * 1024 + 2);
	memset(big, '#', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\0';
	tu_write(f->root, "etc-passthru/applied.d/big.ini", big);
	free(big);
	assert_int_equal(pt__store_open(f->ctx, false, &st, f->err,
					sizeof(f->err)), -EFBIG);
	assert_string_equal(f->err, "applied.d/big.ini: larger than 1048576 bytes; this is not a record of pt-group apply");
}

static void test_store_applied_symlink(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st = NULL;

	/* a symlinked applied.d is refused for readers and writers */
	store_refuses_links(f, "applied.d", applied_rec, true);

	/* applied.d replaced by a link after the open: the commit refuses */
	tu_rmtree(f->conf);
	tu_mkdir(f->root, "etc-passthru");
	st = open_ok(f, true);
	{
		struct pt_ini_file *n;

		assert_int_equal(pt__store_new_file(st, "applied.d/gpu.ini", &n), 0);
		assert_int_equal(pt__ini_set(n, "applied", "type", "pci"), 0);
	}
	tu_symlink(f->root, "etc-passthru/applied.d", "../real.d");
	assert_int_equal(pt__store_commit(st), -ELOOP);
	pt__store_close(st);
	assert_false(exists(f, "applied.d/gpu.ini"));
	{
		char path[600];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/real.d/gpu.ini", f->root);
		assert_int_equal(lstat(path, &sb), -1);
	}
}

static void test_store_applied_stale_temp(void **state)
{
	struct tu_host *f = *state;

	tu_write(f->root, "etc-passthru/applied.d/gpu.ini", applied_rec);
	tu_write(f->root, "etc-passthru/applied.d/.gpu.ini.Ab12cD", "[applied]\nty");
	/* a killed writer's temp file for a record not written yet */
	tu_write(f->root, "etc-passthru/applied.d/.nic.ini.x9Y8z7", "[appl");
	tu_write(f->root, "etc-passthru/applied.d/.gpu.ini.swp", "junk");
	tu_write(f->root, "etc-passthru/applied.d/gpu.ini~", "junk");
	/* not a temp name of ours: no valid group name in it */
	tu_write(f->root, "etc-passthru/applied.d/.a b.ini.Ab12cD", "junk");
	store_stale_temps(f, (const char *const[]){ "applied.d/.gpu.ini.Ab12cD",
						    "applied.d/.nic.ini.x9Y8z7", NULL },
			  (const char *const[]){ "applied.d/.gpu.ini.swp", "applied.d/gpu.ini~",
						 "applied.d/.a b.ini.Ab12cD",
						 "applied.d/gpu.ini", NULL });
}

/* One commit writes and removes files in both directories. */
static void test_store_applied_commit_both(void **state)
{
	struct tu_host *f = *state;
	struct pt_store *st;
	struct pt_ini_file *n;
	char *s;

	tu_write(f->root, "etc-passthru/groups.d/gpu.ini", "[group]\ntype = pci\n");
	tu_write(f->root, "etc-passthru/groups.d/old.ini", "[group]\ntype = usb\n");
	tu_write(f->root, "etc-passthru/applied.d/old.ini", "[applied]\ntype = usb\n");
	st = open_ok(f, true);
	assert_int_equal(st->n_files, 3);
	n = pt__store_find(st, "groups.d/gpu.ini");
	assert_int_equal(pt__ini_set(n, "group", "description", "GPUs"), 0);
	assert_int_equal(pt__store_new_file(st, "applied.d/gpu.ini", &n), 0);
	assert_int_equal(pt__ini_set(n, "applied", "type", "pci"), 0);
	assert_int_equal(pt__store_delete_file(st, "groups.d/old.ini"), 0);
	assert_int_equal(pt__store_delete_file(st, "applied.d/old.ini"), 0);
	s = pt__store_diff(st);
	assert_string_equal(s,
		"--- /dev/null\n"
		"+++ b/applied.d/gpu.ini\n"
		"@@ -0,0 +1,2 @@\n"
		"+[applied]\n"
		"+type = pci\n"
		"--- a/applied.d/old.ini\n"
		"+++ /dev/null\n"
		"@@ -1,2 +0,0 @@\n"
		"-[applied]\n"
		"-type = usb\n"
		"--- a/groups.d/gpu.ini\n"
		"+++ b/groups.d/gpu.ini\n"
		"@@ -1,2 +1,3 @@\n"
		" [group]\n"
		" type = pci\n"
		"+description = GPUs\n"
		"--- a/groups.d/old.ini\n"
		"+++ /dev/null\n"
		"@@ -1,2 +0,0 @@\n"
		"-[group]\n"
		"-type = usb\n");
	free(s);
	assert_int_equal(pt__store_commit(st), 0);
	/* committed: nothing left to write */
	s = pt__store_diff(st);
	assert_string_equal(s, "");
	free(s);
	pt__store_close(st);

	file_is(f, "groups.d/gpu.ini", "[group]\ntype = pci\ndescription = GPUs\n");
	file_is(f, "applied.d/gpu.ini", "[applied]\ntype = pci\n");
	assert_false(exists(f, "groups.d/old.ini"));
	assert_false(exists(f, "applied.d/old.ini"));
	st = open_ok(f, false);
	assert_int_equal(st->n_files, 2);
	assert_string_equal(st->files[0]->relpath, "applied.d/gpu.ini");
	assert_string_equal(st->files[1]->relpath, "groups.d/gpu.ini");
	pt__store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_long_section_name),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_refused),
		cmocka_unit_test(test_set_long_value),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_remove_section),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_model_agrees_with_inih),
		cmocka_unit_test(test_inih_errors_kept),
		cmocka_unit_test_setup_teardown(test_store_missing_dir, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_new_commit_reopen, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_delete, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_diff, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_diff_hunks, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_stale_temp, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_symlink, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_invalid, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_permission, setup, tu_host_teardown),
		cmocka_unit_test(test_applied_relpath),
		cmocka_unit_test_setup_teardown(test_store_applied_round_trip, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_applied_missing, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_applied_invalid, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_applied_symlink, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_applied_stale_temp, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_store_applied_commit_both, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_lock_mode_and_holder, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_lock_not_chmoded, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_lock_hard_link, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_trust, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_no_follow, setup, tu_host_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
