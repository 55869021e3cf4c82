#!/bin/sh
# pt group apply refuses devices in use on the real kernel, --force or
# not (issue #9): a PF whose VF was bound to vfio-pci by hand (outside any
# group) and an mtty parent (a vgpu group member in mdev mode) with an
# instance made by hand in sysfs, which no VM's lease holds. Each
# refusal exits 6, names what holds the device and changes nothing; the
# guest is left as found (70-in-use.py compares the snapshots).
. /pt-vm/lib.sh
export PT_CONF_DIR=/tmp/pt-inuse-conf
rm -rf "$PT_CONF_DIR"

snapshot() {
	pci_snapshot
	echo "mdevs: $(ls /sys/bus/mdev/devices 2>/dev/null | tr '\n' ' ')"
	echo "dev/vfio: $(ls /dev/vfio | grep -v '^vfio$' | tr '\n' ' ')"
}

# refused NAME: run NAME exited 6 (refused for safety)
refused() {
	expect "$1-exit" 6 "$(cat "$1.rc")"
}

nvme=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/sriov_totalvfs" 2>/dev/null || echo 0)" -gt 0 ] && nvme=${d##*/} && break
done
snapshot >before.txt

# ---- a PF whose VF is on vfio-pci outside any group
if [ -z "$nvme" ]; then
	not_ok nvme "no SR-IOV PF in the guest (machine.conf)"
else
	p=/sys/bus/pci/devices/$nvme
	ap=$(cat "$p/sriov_drivers_autoprobe")
	echo 0 >"$p/sriov_drivers_autoprobe"
	echo 2 >"$p/sriov_numvfs"
	vf0=$(basename "$(readlink "$p/virtfn0")")
	echo vfio-pci >"/sys/bus/pci/devices/$vf0/driver_override"
	echo "$vf0" >/sys/bus/pci/drivers_probe
	expect vf-by-hand vfio-pci "$(drv "$vf0")"
	echo "pf=$nvme vf=$vf0" >pf.txt
	pf_drv=$(drv "$nvme")
	snapshot >pf-before.txt

	# a pci group taking the PF itself: unbinding nvme disables SR-IOV
	pt group create pfs -t pci
	pt group make-resource pfs "$nvme" >/dev/null
	run apply-pf pt group apply pfs
	refused apply-pf
	run apply-pf-force pt group apply --force pfs
	refused apply-pf-force
	# an sriov-nic group asking for another VF count: recreating removes the VF
	pt group delete pfs
	pt group create vfs -t sriov-nic numvfs=1
	pt group make-resource vfs "$nvme" >/dev/null
	run apply-vfs pt group apply vfs
	refused apply-vfs
	expect pf-unchanged "$pf_drv vfio-pci 2" "$(drv "$nvme") $(drv "$vf0") $(cat "$p/sriov_numvfs")"
	snapshot >pf-after.txt
	ls "$PT_CONF_DIR/applied.d" >pf-records.txt 2>/dev/null

	echo "$vf0" >/sys/bus/pci/drivers/vfio-pci/unbind
	echo >"/sys/bus/pci/devices/$vf0/driver_override"
	echo 0 >"$p/sriov_numvfs"
	echo "$ap" >"$p/sriov_drivers_autoprobe"
fi

# ---- an mtty parent with an instance made by hand (no lease holds it)
loaded=
if [ ! -d /sys/module/mtty ]; then
	modprobe mtty && loaded=yes
fi
par=/sys/class/mdev_bus/mtty
uuid=5eed0000-7070-4747-8d8d-00000000a0a0
if [ ! -d "$par" ]; then
	not_ok mtty "no $par: $(modprobe mtty 2>&1)"
else
	echo "$uuid" >"$par/mdev_supported_types/mtty-2/create"
	if [ -e "/sys/bus/mdev/devices/$uuid" ]; then
		ok mdev-by-hand "$uuid"
	else
		not_ok mdev-by-hand "writing $uuid to mtty-2/create made no instance"
	fi
	echo "uuid=$uuid" >mtty.txt
	snapshot >mtty-before.txt
	pt group create tty -t vgpu profile=mtty-2 mode=mdev
	run resource-tty pt group make-resource tty mtty
	run apply-tty pt group apply tty
	refused apply-tty
	run apply-tty-force pt group apply --force tty
	refused apply-tty-force
	snapshot >mtty-after.txt
	echo 1 >"/sys/bus/mdev/devices/$uuid/remove"
	# with the instance gone the same group applies
	run apply-tty-free pt group apply tty
	run release-tty pt group release tty
	[ -n "$loaded" ] && rmmod mtty
fi

snapshot >after.txt
done_checks
