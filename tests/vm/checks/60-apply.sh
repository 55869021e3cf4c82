#!/bin/sh
# pt group apply / release on the real kernel: a PCI group (e1000e) bound
# to vfio-pci with its /dev/vfio node and given back to e1000e; the shared
# IOMMU group behind the PCIe-to-PCI bridge refused, then taken whole with
# --with-group-siblings; an sriov-nic group on the NVMe PF creating 2 VFs
# bound to vfio-pci; second applies change nothing; after the releases the
# guest is as it was before (60-apply.py compares the snapshots).
. /pt-vm/lib.sh
export PT_CONF_DIR=/tmp/pt-apply-conf
rm -rf "$PT_CONF_DIR"

# What apply and release may change: every PCI function (lib.sh) and the
# /dev/vfio nodes.
snapshot() {
	pci_snapshot
	echo "dev/vfio: $(ls /dev/vfio | grep -v '^vfio$' | tr '\n' ' ')"
}

nvme=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/sriov_totalvfs" 2>/dev/null || echo 0)" -gt 0 ] && nvme=${d##*/} && break
done
# As the guest booted: earlier checks enabled VFs with autoprobe off.
if [ -n "$nvme" ]; then
	echo 0 >"/sys/bus/pci/devices/$nvme/sriov_numvfs"
	echo 1 >"/sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe"
fi
# apply must load vfio-pci itself (libkmod) when it is missing
if rmmod vfio_pci 2>/dev/null; then
	ok vfio-pci-unloaded "removed so apply has to load it"
else
	not_ok vfio-pci-unloaded "rmmod vfio_pci failed"
fi
snapshot >before.txt

# ---- PCI group: e1000e
nic=$(find_dev 0x8086 0x10d3)
if [ -z "$nic" ]; then
	not_ok e1000e "no e1000e (8086:10d3) in the guest (machine.conf)"
else
	expect e1000e-driver e1000e "$(drv "$nic")"
	pt group create nic -t pci
	pt group make-resource nic "$nic" >/dev/null
	run apply-nic-dry pt group apply --dry-run nic
	snapshot >after-dry.txt
	run apply-nic pt group apply nic
	expect nic-bound vfio-pci "$(drv "$nic")"
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$nic/iommu_group")")
	if [ -c "/dev/vfio/$grp" ]; then
		ok nic-dev-vfio "/dev/vfio/$grp"
	else
		not_ok nic-dev-vfio "no /dev/vfio/$grp after apply: $(ls /dev/vfio)"
	fi
	[ -d /sys/module/vfio_pci ] && ok vfio-pci-loaded || not_ok vfio-pci-loaded "apply did not load vfio_pci"
	cp "$PT_CONF_DIR/applied.d/nic.ini" applied-nic.ini 2>/dev/null
	run apply-nic-again pt group apply nic
	run release-nic pt group release nic
	expect nic-restored e1000e "$(drv "$nic")"
	expect nic-override "(null)" "$(cat "/sys/bus/pci/devices/$nic/driver_override")"
	[ -e "$PT_CONF_DIR/applied.d/nic.ini" ] && not_ok nic-record-removed "applied.d/nic.ini left after release" || ok nic-record-removed
fi

# ---- the bridge's shared IOMMU group: e1000 + rtl8139
e1000=$(find_dev 0x8086 0x100e)
rtl=$(find_dev 0x10ec 0x8139)
if [ -z "$e1000" ] || [ -z "$rtl" ]; then
	not_ok bridge-devs "e1000 or rtl8139 missing in the guest"
else
	echo "e1000=$e1000 rtl8139=$rtl" >bridge.txt
	rtl_drv=$(drv "$rtl")
	pt group create legacy -t pci
	pt group make-resource legacy "$e1000" >/dev/null
	run apply-legacy pt group apply legacy
	expect legacy-unchanged "e1000 $rtl_drv" "$(drv "$e1000") $(drv "$rtl")"
	run apply-legacy-siblings pt group apply --with-group-siblings legacy
	expect legacy-bound "vfio-pci vfio-pci" "$(drv "$e1000") $(drv "$rtl")"
	run release-legacy pt group release legacy
	expect legacy-restored "e1000 $rtl_drv" "$(drv "$e1000") $(drv "$rtl")"
fi

# ---- sriov-nic group on the NVMe PF: 2 VFs to vfio-pci
if [ -z "$nvme" ]; then
	not_ok nvme "no SR-IOV PF in the guest"
else
	run create-vfs pt group create vfs -t sriov-nic numvfs=2
	run resource-vfs pt group make-resource vfs "$nvme"
	run show-vfs pt group show vfs
	run apply-vfs pt group apply vfs
	p=/sys/bus/pci/devices/$nvme
	expect vfs-numvfs 2 "$(cat "$p/sriov_numvfs")"
	expect vfs-autoprobe 0 "$(cat "$p/sriov_drivers_autoprobe")"
	vf0=$(basename "$(readlink "$p/virtfn0")")
	vf1=$(basename "$(readlink "$p/virtfn1")")
	expect vfs-bound "vfio-pci vfio-pci" "$(drv "$vf0") $(drv "$vf1")"
	cp "$PT_CONF_DIR/applied.d/vfs.ini" applied-vfs.ini 2>/dev/null
	run apply-vfs-again pt group apply vfs
	run release-vfs pt group release vfs
	expect vfs-released "0 1" "$(cat "$p/sriov_numvfs") $(cat "$p/sriov_drivers_autoprobe")"
fi

snapshot >after.txt
done_checks
