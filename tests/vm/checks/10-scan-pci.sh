#!/bin/sh
# pt scan --json against the guest's own lspci and sysfs, on every PCI
# function, with the NVMe PF's two VFs enabled so VFs are compared too
# (10-scan-pci.py does the comparing).
. /pt-vm/lib.sh

pf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/sriov_totalvfs" 2>/dev/null || echo 0)" -gt 0 ] && pf=$d && break
done
if [ -z "$pf" ]; then
	not_ok sriov-enable "no SR-IOV capable function in the guest (machine.conf's nvme)"
else
	# With autoprobe on, nvme would bind the VFs itself.
	echo 0 >"$pf/sriov_drivers_autoprobe"
	if echo 2 >"$pf/sriov_numvfs"; then
		ok sriov-enable "${pf##*/}: 2 VFs"
	else
		not_ok sriov-enable "${pf##*/}: writing 2 to sriov_numvfs failed"
	fi
fi

run lspci lspci -D -nn -k -vmm
run scan pt scan --json
run scan-link pt-scan --json

# The kernel's own view, read independently of pt and lspci.
for g in /sys/kernel/iommu_groups/*; do
	for m in "$g"/devices/*; do
		echo "${g##*/} ${m##*/}"
	done
done >groups.txt
for d in /sys/bus/pci/devices/*; do
	echo "[${d##*/}]"
	for a in sriov_totalvfs sriov_numvfs; do
		[ -r "$d/$a" ] && echo "$a=$(cat "$d/$a")"
	done
	[ -e "$d/physfn" ] && echo "physfn=$(basename "$(readlink "$d/physfn")")"
	for v in "$d"/virtfn*; do
		[ -e "$v" ] && echo "${v##*/}=$(basename "$(readlink "$v")")"
	done
done >sysfs.txt

[ -n "$pf" ] && echo 0 >"$pf/sriov_numvfs"
done_checks
