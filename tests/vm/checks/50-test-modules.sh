#!/bin/sh
# The modules built from linux-source for later checks work on this kernel:
# mtty is an mdev parent whose types and mdevs pt scan lists as sysfs has
# them (50-test-modules.py compares); netdevsim gives a netdev with SR-IOV
# VFs whose settings iproute2 can set and read back.
. /pt-vm/lib.sh

# ---- mtty: mdev parent with types
if modprobe mtty; then
	ok mtty-load "$(modinfo -F version mtty 2>/dev/null || echo loaded)"
else
	not_ok mtty-load "modprobe mtty failed"
fi
uuid=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
par=/sys/class/mdev_bus/mtty
if [ -d "$par/mdev_supported_types" ] && echo "$uuid" >"$par/mdev_supported_types/mtty-2/create"; then
	ok mdev-create "$uuid of mtty-2"
else
	not_ok mdev-create "cannot create an mtty-2 mdev under $par"
fi
{
	for t in "$par"/mdev_supported_types/*; do
		echo "[type:${t##*/}]"
		for a in name description device_api available_instances; do
			[ -r "$t/$a" ] && echo "$a=$(cat "$t/$a" | tr '\n' ' ' | sed 's/ *$//')"
		done
	done
	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m" ] || continue
		echo "[mdev:${m##*/}]"
		echo "type=$(basename "$(readlink "$m/mdev_type")")"
		echo "iommu_group=$(basename "$(readlink "$m/iommu_group")")"
	done
} >mdev.txt
run scan pt scan --json -t vgpu
[ -e "/sys/bus/mdev/devices/$uuid" ] && echo 1 >"/sys/bus/mdev/devices/$uuid/remove"

# ---- netdevsim: SR-IOV VFs set and read over netlink
if modprobe netdevsim; then
	ok netdevsim-load
else
	not_ok netdevsim-load "modprobe netdevsim failed"
fi
echo "7 1" >/sys/bus/netdevsim/new_device 2>/dev/null
nsim=/sys/bus/netdevsim/devices/netdevsim7
i=0
while [ ! -d "$nsim/net" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
nd=$(ls "$nsim/net" 2>/dev/null | head -n1)
if [ -n "$nd" ]; then
	ok netdevsim-netdev "$nd"
else
	not_ok netdevsim-netdev "no netdev under $nsim"
fi
if [ -n "$nd" ] && echo 4 >"$nsim/sriov_numvfs"; then
	ok netdevsim-vfs "$(cat "$nsim/sriov_numvfs") VFs"
	/usr/sbin/ip link set "$nd" vf 0 vlan 10 qos 3
	/usr/sbin/ip link set "$nd" vf 1 mac 02:00:00:00:01:01
	/usr/sbin/ip link set "$nd" vf 2 spoofchk off trust on
	/usr/sbin/ip link set "$nd" vf 3 state disable max_tx_rate 100
	/usr/sbin/ip link show "$nd" >ip-link.txt
	show=$(cat ip-link.txt)
	# name and what ip link show must print for it
	while read -r name want; do
		if grep -q "$want" ip-link.txt; then
			ok "netdevsim-$name" "$(grep -o "$want" ip-link.txt | head -n1)"
		else
			not_ok "netdevsim-$name" "ip link show $nd lacks '$want': $show"
		fi
	done <<-EOT
	vf0-vlan-qos vf 0 .*vlan 10, qos 3
	vf1-mac vf 1 .*link/ether 02:00:00:00:01:01
	vf2-spoofchk-trust vf 2 .*spoof checking off.*trust on
	vf3-rate-state vf 3 .*max_tx_rate 100Mbps.*link-state disable
	EOT
else
	not_ok netdevsim-vfs "cannot enable VFs on $nsim"
fi
echo 7 >/sys/bus/netdevsim/del_device 2>/dev/null
done_checks
