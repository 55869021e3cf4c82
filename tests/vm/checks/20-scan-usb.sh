#!/bin/sh
# pt scan's USB devices against /sys/bus/usb/devices (20-scan-usb.py compares).
. /pt-vm/lib.sh

run scan pt scan --json -t usb
for d in /sys/bus/usb/devices/*; do
	[ -r "$d/idVendor" ] || continue
	echo "[${d##*/}]"
	echo "path=$(readlink -f "$d")"
	for a in busnum devnum idVendor idProduct serial manufacturer product speed \
		version bDeviceClass; do
		[ -r "$d/$a" ] && echo "$a=$(cat "$d/$a")"
	done
	for i in "$d"/*:*; do
		[ -d "$i" ] || continue
		drv=
		[ -e "$i/driver" ] && drv=$(basename "$(readlink "$i/driver")")
		echo "if:${i##*/}=$drv"
	done
done >usb.txt
done_checks
