#!/bin/sh
# Host-critical detection on a real kernel: the virtio disk holding / and the
# NIC carrying the default route are critical; moving the default route to
# another NIC moves the mark (40-critical.py compares).
. /pt-vm/lib.sh

# Where / and the default route really are, read independently of pt.
majmin=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo | tail -n1)
dev=$(/usr/sbin/ip route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | head -n1)
{
	echo "[root]"
	echo "majmin=$majmin"
	echo "source=$(awk '$5 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 2); exit } }' /proc/self/mountinfo)"
	echo "path=$(readlink -f "/sys/dev/block/$majmin")"
	echo "[route]"
	echo "dev=$dev"
	echo "path=$(readlink -f "/sys/class/net/$dev/device")"
} >facts.txt
run scan pt scan --json

# Move the default route to the e1000 NIC (8086:100e) and scan again.
alt=
for n in /sys/class/net/*; do
	[ "$(cat "$n/device/vendor" 2>/dev/null):$(cat "$n/device/device" 2>/dev/null)" = \
		"0x8086:0x100e" ] && alt=${n##*/}
done
if [ -n "$alt" ]; then
	ip addr add 198.51.100.15/24 dev "$alt" && ip link set "$alt" up &&
		ip route replace default via 198.51.100.1 dev "$alt"
	{
		echo "[moved]"
		echo "dev=$alt"
		echo "path=$(readlink -f "/sys/class/net/$alt/device")"
		echo "route=$(/usr/sbin/ip route show default)"
	} >>facts.txt
	run scan-moved pt scan --json
	ip route replace default via 192.0.2.1 dev "$dev"
	ip addr flush dev "$alt"
	ip link set "$alt" down
else
	not_ok route-move "no e1000 NIC in the guest to move the default route to"
fi
done_checks
