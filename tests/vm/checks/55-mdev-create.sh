#!/bin/sh
# mdev instances created and removed THROUGH THE LIBRARY on a real kernel:
# ptmdev calls pt_mdev_create()/pt_mdev_remove() on the mtty sample's
# parent, and pt__module_load() (libkmod) loads mtty with its dependency
# mdev. Everything is checked here against sysfs read independently;
# 55-mdev-create.py compares the library's view after each call (what
# ptmdev printed) with the sysfs dumps taken at the same points.
. /pt-vm/lib.sh

par=/sys/class/mdev_bus/mtty
types=$par/mdev_supported_types
uuid=c0ffee00-5a5a-4b4b-8c8c-0123456789ab

avail() {
	cat "$types/$1/available_instances" 2>/dev/null
}

# dump NAME: the kernel's own view as [type:ID]/[mdev:UUID] blocks
dump() {
	{
		for t in "$types"/*; do
			echo "[type:${t##*/}]"
			echo "available_instances=$(cat "$t/available_instances")"
		done
		for m in /sys/bus/mdev/devices/*; do
			[ -e "$m" ] || continue
			echo "[mdev:${m##*/}]"
			echo "type=$(basename "$(readlink "$m/mdev_type")")"
			echo "iommu_group=$(basename "$(readlink "$m/iommu_group")")"
		done
	} >"$1.sysfs"
}

# refused NAME ERRNO: the ptmdev run NAME failed with ERRNO
refused() {
	if [ "$(cat "$1.rc")" = 1 ] && grep -q "$2" "$1.err"; then
		ok "$1" "$2"
	else
		not_ok "$1" "expected exit 1 with $2, got exit $(cat "$1.rc"): $(cat "$1.err")"
	fi
}

# ---- modules: is_loaded against /sys/module, loading with libkmod
run loaded-vfio-pci ptmdev loaded vfio-pci
expect loaded-vfio-pci "$([ "$(cat /sys/module/vfio_pci/initstate)" = live ] && echo 0 || echo 1)" \
	"$(cat loaded-vfio-pci.rc)"
run loaded-none ptmdev loaded pt-no-such-module
expect loaded-none 1 "$(cat loaded-none.rc)"

# mtty and the mdev core out, so the library must load both
[ -d /sys/module/mtty ] && rmmod mtty
rmmod mdev 2>/dev/null
if [ -d /sys/module/mtty ] || [ -d /sys/module/mdev ]; then
	not_ok unload "cannot unload mtty and mdev: $(cat /proc/modules | grep -E '^(mtty|mdev) ')"
fi
run load ptmdev load mtty
expect load-rc 0 "$(cat load.rc)"
expect load-mtty live "$(cat /sys/module/mtty/initstate 2>/dev/null)"
expect load-mdev-dependency live "$(cat /sys/module/mdev/initstate 2>/dev/null)"
if [ -d "$types" ]; then
	ok load-parent "$par"
else
	not_ok load-parent "no $types after loading mtty"
fi
run load-again ptmdev load mtty
expect load-again 0 "$(cat load-again.rc)"
run load-missing ptmdev load pt-no-such-module
refused load-missing ENOENT
if grep -q "not found in /lib/modules/$(uname -r)" load-missing.err; then
	ok load-missing-message "$(head -n1 load-missing.err)"
else
	not_ok load-missing-message "$(cat load-missing.err)"
fi

# ---- create with a given UUID, then remove
b1=$(avail mtty-1)
b2=$(avail mtty-2)
dump before
run create ptmdev create mtty mtty-2 "$uuid"
expect create 0 "$(cat create.rc)"
dump created
if [ -d "/sys/bus/mdev/devices/$uuid" ] && [ -d "$par/$uuid" ]; then
	ok create-device "/sys/bus/mdev/devices/$uuid"
else
	not_ok create-device "no /sys/bus/mdev/devices/$uuid"
fi
expect create-mdev-type mtty-2 "$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/mdev_type")")"
expect create-type-link "$(readlink -f "$par/$uuid")" "$(readlink -f "$types/mtty-2/devices/$uuid")"
# mtty-2 takes two of mtty's ports: one mtty-2 less, two mtty-1 less
expect create-available-mtty-2 $((b2 - 1)) "$(avail mtty-2)"
expect create-available-mtty-1 $((b1 - 2)) "$(avail mtty-1)"
run show ptmdev show mtty

run create-again ptmdev create mtty mtty-1 "$uuid"
refused create-again EEXIST
run create-bad ptmdev create mtty mtty-1 "../$uuid"
refused create-bad EINVAL

run remove ptmdev remove mtty "$(echo "$uuid" | tr a-f A-F)"
expect remove 0 "$(cat remove.rc)"
dump removed
if [ -e "/sys/bus/mdev/devices/$uuid" ] || [ -e "$par/$uuid" ]; then
	not_ok remove-device "/sys/bus/mdev/devices/$uuid still there"
else
	ok remove-device "$uuid gone"
fi
expect remove-available-mtty-2 "$b2" "$(avail mtty-2)"
expect remove-available-mtty-1 "$b1" "$(avail mtty-1)"
run remove-again ptmdev remove mtty "$uuid"
refused remove-again ENOENT

# ---- a random UUID from libuuid
run create-random ptmdev create mtty mtty-1
r=$(sed -n 's/^uuid=//p' create-random.out)
if [ "$(cat create-random.rc)" = 0 ] && [ -d "/sys/bus/mdev/devices/$r" ]; then
	ok create-random "$r"
else
	not_ok create-random "exit $(cat create-random.rc), uuid '$r': $(cat create-random.err)"
fi
run remove-random ptmdev remove mtty "$r"
expect remove-random 0 "$(cat remove-random.rc)"
[ -n "$r" ] && [ -e "/sys/bus/mdev/devices/$r" ] && not_ok remove-random-device "$r still there"

# ---- none left: fill mtty's ports with plain writes; the library refuses
n=$(avail mtty-2)
i=0
while [ "$i" -lt "$n" ]; do
	echo "$(printf 'c0ffee01-0000-4000-8000-%012d' "$i")" >"$types/mtty-2/create" || break
	i=$((i + 1))
done
expect full-mtty-1 0 "$(avail mtty-1)"
run full ptmdev create mtty mtty-1
refused full ENOSPC
for m in /sys/bus/mdev/devices/c0ffee01-*; do
	[ -e "$m" ] && echo 1 >"$m/remove"
done
expect full-cleanup "$b1 $b2" "$(avail mtty-1) $(avail mtty-2)"
done_checks
