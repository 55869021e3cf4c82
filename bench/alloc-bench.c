// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Allocator decisions per second, in process: pt__alloc_pick() (lib/alloc.c)
 * over a sriov-nic group of 8 PFs x 32 VFs (256 units, a quarter leased),
 * one VF a decision, alternating pack and spread, with the VM's NUMA node
 * set. Each decision starts from the same state (copied in, counted in the
 * time), as a start does. Built and run by bench/attach-run.
 *
 *   alloc-bench [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

#define NPF	8
#define NVF	32
#define N	(NPF * NVF)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char keys[N][16];
	struct pt__unit tmpl[N], u[N];
	int scratch[N], picked[4];
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t;
	long decisions = 0, checksum = 0;

	for (int i = 0; i < N; i++) {
		int pf = i / NVF, vf = i % NVF;

		snprintf(keys[i], sizeof(keys[i]), "0000:%02x:%02x.%d", 0x40 + pf, vf / 8, vf % 8);
		memset(&tmpl[i], 0, sizeof(tmpl[i]));
		tmpl[i].key = keys[i];
		tmpl[i].pool = pf * NVF;
		tmpl[i].numa_node = pf < NPF / 2 ? 0 : 1;
		tmpl[i].capacity = 1;
		if ((i * 7) % 4 == 0) {
			tmpl[i].blocked = "leased to VM 'x'";
			tmpl[i].used = 1;
		}
	}
	t0 = now();
	do {
		for (int k = 0; k < 1000; k++) {
			struct pt__alloc_req rq = {
				.count = 1, .numa_node = (int)(decisions & 1),
				.placement = (decisions >> 1) & 1 ? PT__PLACE_SPREAD : PT__PLACE_PACK,
			};

			memcpy(u, tmpl, sizeof(u));
			if (pt__alloc_pick(u, N, &rq, picked, scratch, NULL, 0) < 0)
				return 1;
			checksum += picked[0];
			decisions++;
		}
		t = now() - t0;
	} while (t < secs);
	printf("units %d, decisions %ld in %.3f s: %.0f decisions/s (checksum %ld)\n",
	       N, decisions, t, decisions / t, checksum);
	return 0;
}
