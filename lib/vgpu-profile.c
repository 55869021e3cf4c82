// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NVIDIA vGPU profile names, understood (model layer, no I/O).
 *
 * NVIDIA names each vGPU type after the board, the framebuffer and the
 * series, with the GPU-instance size in between for MIG-backed types:
 *
 *   time-sliced  <board>-<GB><series>                 L40S-24Q, A40-8C
 *   MIG-backed   <board>-<slices>-<GB><series><media> A100-3-20C,
 *                                                     H100XM-1-10CME
 *
 * series is A (virtual apps), B (virtual PCs), C (compute) or Q (virtual
 * workstations); media, MIG-backed only, is ME (the instance gets a media
 * engine), NOME (none), MEALL (all of them) or GFX (graphics). mdev type
 * names carry a "GRID " or "NVIDIA " prefix ("GRID A100-4C"), and a line
 * of nvidia/creatable_vgpu_types a type id ("1414 : NVIDIA H200X-1-18C");
 * both are accepted here. The most instances one GPU takes is stated only
 * in an mdev type's description ("..., max_instance=7"): where the driver
 * does not state it, it is unknown (-1), never taken from a table.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static const char *const media_names[] = { "ME", "NOME", "MEALL", "GFX", NULL };

static const char *skip_blanks(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* A decimal number of at most 4 digits at s; its end, or NULL. */
static const char *small_number(const char *s, int *out)
{
	int v = 0, n = 0;

	while (isdigit((unsigned char)s[n]) && n < 5)
		v = v * 10 + (s[n++] - '0');
	if (!n || n > 4)
		return NULL;
	*out = v;
	return s + n;
}

int pt__vgpu_profile_parse(const char *text, struct pt_vgpu_profile *out,
			   unsigned int *id_out)
{
	char buf[128], *tok[8], *save = NULL, *t, *last;
	const char *s, *p;
	unsigned long id = 0;
	int n = 0, fb;
	size_t len;

	if (!text)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->max_instances = -1;
	s = skip_blanks(text);
	/* "1414 : NVIDIA H200X-1-18C" */
	if (isdigit((unsigned char)*s)) {
		char *end;

		errno = 0;
		id = strtoul(s, &end, 10);
		p = skip_blanks(end);
		if (*p == ':') {
			if (errno || id == 0 || id > UINT_MAX)
				return -EINVAL;
			s = skip_blanks(p + 1);
		} else {
			id = 0;
		}
	}
	if (!strncmp(s, "GRID ", 5))
		s += 5;
	else if (!strncmp(s, "NVIDIA ", 7))
		s += 7;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)buf[i]) || !isprint((unsigned char)buf[i]))
			return -EINVAL;

	for (t = strtok_r(buf, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
		if (n == (int)(sizeof(tok) / sizeof(tok[0])))
			return -EINVAL;
		tok[n++] = t;
	}
	/* strtok_r folds "--" and edge dashes: refuse them instead */
	if (strstr(s, "--") || s[0] == '-' || s[len - 1] == '-' || n < 2 || n > 3)
		return -EINVAL;

	/* the last part: <GB><series>[<media>] */
	last = tok[n - 1];
	p = small_number(last, &fb);
	if (!p || !strchr("ABCQ", *p) || !*p)
		return -EINVAL;
	out->series = *p++;
	out->fb_gb = fb;
	if (*p) {
		const char *const *m;

		if (n != 3)
			return -EINVAL;
		for (m = media_names; *m; m++)
			if (!strcmp(p, *m))
				break;
		if (!*m)
			return -EINVAL;
		snprintf(out->media, sizeof(out->media), "%s", *m);
	}
	if (n == 3) {
		int slices;

		p = small_number(tok[1], &slices);
		if (!p || *p || slices < 1 || slices > 8)
			return -EINVAL;
		out->slices = slices;
	}
	/* boards are letters and digits: A100, H100XM, L40S, RTXA6000 */
	if (strlen(tok[0]) >= sizeof(out->board))
		return -EINVAL;
	for (const char *c = tok[0]; *c; c++)
		if (!isalnum((unsigned char)*c))
			return -EINVAL;
	snprintf(out->board, sizeof(out->board), "%s", tok[0]);
	if (out->slices)
		snprintf(out->name, sizeof(out->name), "%s-%d-%d%c%s", out->board,
			 out->slices, out->fb_gb, out->series, out->media);
	else
		snprintf(out->name, sizeof(out->name), "%s-%d%c", out->board,
			 out->fb_gb, out->series);
	if (id_out)
		*id_out = (unsigned int)id;
	return 0;
}

/* "num_heads=4, frl_config=60, framebuffer=4096M, ..., max_instance=4" */
int pt__vgpu_description_max_instances(const char *desc)
{
	const char *p = desc ? strstr(desc, "max_instance=") : NULL;
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen("max_instance=");
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || v < 0 || v > 65535 ||
	    (*end && *end != ',' && !isspace((unsigned char)*end)))
		return -1;
	return (int)v;
}

bool pt__vgpu_type_matches(const char *want, const char *id, const char *name)
{
	struct pt_vgpu_profile a, b;

	if (!want)
		return false;
	if ((id && !strcmp(want, id)) || (name && !strcmp(want, name)))
		return true;
	if (!name || pt__vgpu_profile_parse(want, &a, NULL) < 0 ||
	    pt__vgpu_profile_parse(name, &b, NULL) < 0)
		return false;
	return !strcmp(a.name, b.name);
}

/* ---- the profile of a scanned type ------------------------------------- */

static struct pt_vgpu_profile *profile_new(const char *name, const char *desc)
{
	struct pt_vgpu_profile tmp, *p;

	if (pt__vgpu_profile_parse(name, &tmp, NULL) < 0)
		return NULL;
	tmp.max_instances = pt__vgpu_description_max_instances(desc);
	p = malloc(sizeof(*p));
	if (p)
		*p = tmp;
	return p;
}

PT_EXPORT struct pt_vgpu_profile *pt_mdev_type_get_profile(struct pt_mdev_type *t)
{
	if (!t->profile_done) {
		t->profile_done = true;
		t->profile = profile_new(t->name, t->description);
	}
	return t->profile;
}

PT_EXPORT struct pt_vgpu_profile *pt_vgpu_type_get_profile(struct pt_vgpu_type *t)
{
	if (!t->profile_done) {
		t->profile_done = true;
		t->profile = profile_new(t->name, NULL);
	}
	return t->profile;
}

PT_EXPORT const char *pt_vgpu_profile_get_name(struct pt_vgpu_profile *p) { return p->name; }
PT_EXPORT const char *pt_vgpu_profile_get_board(struct pt_vgpu_profile *p) { return p->board; }
PT_EXPORT int pt_vgpu_profile_get_framebuffer_gb(struct pt_vgpu_profile *p) { return p->fb_gb; }
PT_EXPORT char pt_vgpu_profile_get_series(struct pt_vgpu_profile *p) { return p->series; }
PT_EXPORT bool pt_vgpu_profile_is_mig(struct pt_vgpu_profile *p) { return p->slices > 0; }
PT_EXPORT int pt_vgpu_profile_get_gpu_instance_slices(struct pt_vgpu_profile *p) { return p->slices; }
PT_EXPORT int pt_vgpu_profile_get_max_instances(struct pt_vgpu_profile *p) { return p->max_instances; }

PT_EXPORT const char *pt_vgpu_profile_get_media(struct pt_vgpu_profile *p)
{
	return p->media[0] ? p->media : NULL;
}
