#!/bin/sh
# A thick vGPU grant on the real kernel (the mtty sample as the mdev
# parent): pt tenant grant of a vgpu (mdev) group makes the instance with
# its stable UUID, and the instance's own /dev/vfio node is root:<admins>
# 0660 (an admin of the tenant opens it, another tenant's does not); the
# udev rule names the instance. A tenant VM's start uses that instance and
# stop leaves it; pt tenant apply changes nothing while it is there and
# makes it again, same UUID, once it is gone (a reboot). revoke removes it
# and the host files. The guest is left as it was (users, groups, mtty).
# Kept apart from 80-tenant (a check of its own) so both grow freely.
. /pt-vm/lib.sh
top=/tmp/pt-tenant-vgpu
export PT_CONF_DIR=$top/etc/passthru PT_RUN_DIR=$top/run
rm -rf "$top"
mkdir -p "$top/etc"
tenant_users_add

loaded=
if [ ! -d /sys/module/mtty ]; then
	modprobe mtty && loaded=yes
fi
rules=$top/etc/udev/rules.d/70-passthru-tenant-acme.rules

pt group create tty -t vgpu profile=mtty-2 mode=mdev
pt group make-resource tty mtty >/dev/null
pt tenant create acme --admins acmeops
pt tenant create globex --admins globexops

run grant pt tenant grant acme tty --count 1
expect grant-rc 0 "$(cat grant.rc)"
uuid=$(sed -n 's/^acme:tty: reserved \([0-9a-f-]*\)@mtty$/\1/p' grant.out)
if [ -n "$uuid" ] && [ -e "/sys/bus/mdev/devices/$uuid" ]; then
	ok instance-made "$uuid"
else
	not_ok instance-made "$(cat grant.out grant.err)"
fi
grp=$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/iommu_group" 2>/dev/null)" 2>/dev/null)
node=/dev/vfio/$grp
expect node-granted "0:2001 660" "$(owner "$node")"
expect admin-opens opened "$(try_open acme "$node")"
expect other-tenant-refused "Permission denied" "$(try_open globex "$node")"
if grep -q "TEST==\"/sys/kernel/iommu_groups/\$kernel/devices/$uuid\".*GROUP=\"acmeops\", MODE=\"0660\"" "$rules" 2>/dev/null; then
	ok udev-rule "$rules names $uuid"
else
	not_ok udev-rule "$rules: $(cat "$rules" 2>&1)"
fi

# a tenant VM uses the instance as it is; stop leaves it
pt attach add web acme:tty
run start pt attach start web --format qemu
expect start-rc 0 "$(cat start.rc)"
if grep -q "sysfsdev=/sys/bus/mdev/devices/$uuid," start.out; then
	ok start-uses-instance
else
	not_ok start-uses-instance "$(cat start.out start.err)"
fi
run stop pt attach stop web -q
expect stop-rc 0 "$(cat stop.rc)"
if [ -e "/sys/bus/mdev/devices/$uuid" ]; then
	ok stop-keeps-instance
else
	not_ok stop-keeps-instance "$uuid is gone"
fi

# replay: nothing to do while it is there; made again once it is gone
run apply-same pt tenant apply acme
expect apply-nothing "acme: nothing to change" "$(cat apply-same.out)"
echo 1 >"/sys/bus/mdev/devices/$uuid/remove"
run apply pt tenant apply --all
expect apply-rc 0 "$(cat apply.rc)"
if [ -e "/sys/bus/mdev/devices/$uuid" ]; then
	ok apply-remakes "$uuid"
else
	not_ok apply-remakes "$(cat apply.out apply.err)"
fi
grp=$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/iommu_group" 2>/dev/null)" 2>/dev/null)
expect node-granted-again "0:2001 660" "$(owner "/dev/vfio/$grp")"

run revoke pt tenant revoke acme tty
expect revoke-rc 0 "$(cat revoke.rc)"
if [ -e "/sys/bus/mdev/devices/$uuid" ]; then
	not_ok instance-removed "$uuid is still there"
else
	ok instance-removed
fi
if [ -e "$rules" ]; then
	not_ok host-files-removed "$(cat "$rules")"
else
	ok host-files-removed
fi

pt attach remove web tty >/dev/null 2>&1
pt tenant delete acme
pt tenant delete globex
pt group delete tty
[ -n "$loaded" ] && rmmod mtty
tenant_users_remove
rm -rf "$top"
done_checks
