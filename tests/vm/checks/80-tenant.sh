#!/bin/sh
# pt tenant on the real kernel: a grant of a PCI unit (the e1000e, its own
# IOMMU group, on vfio-pci) gives /dev/vfio/N to root:<admins> 0660, so a
# tenant admin who is not root opens it and an admin of another tenant
# does not; the admin starts the tenant's VM (pt attach start as itself)
# and a real QEMU run as that user with the printed arguments holds the
# e1000e (QMP query-pci); a host group and another tenant's VMs are
# refused (7), revoke while the VM holds the unit too (6); a link and a
# FIFO the admin plants in its directory are refused (6), and root's gc
# and revoke skip them without following or blocking; the udev rules and limits.d snippet are written beside the conf
# dir; each tenant file is 0640 root:<admins>, read by its own admins only.
# revoke gives the node back (root:root 0600: the admin's open fails) and
# removes the host files. A USB unit (the usb-serial by serial): its usbfs
# node goes to root:<admins> 0660 at grant and back to root:root 0664. The guest is left as it was (users, groups, the
# NIC on e1000e).
. /pt-vm/lib.sh
top=/tmp/pt-tenant
export PT_CONF_DIR=$top/etc/passthru PT_RUN_DIR=$top/run
rm -rf "$top"
mkdir -p "$top/etc"
tenant_users_add

nic=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ]; then
		nic=${d##*/}
		break
	fi
done
if [ -z "$nic" ]; then
	not_ok e1000e "no e1000e (8086:10d3) in the guest (machine.conf)"
	done_checks
	exit 0
fi
grp=$(basename "$(readlink "/sys/bus/pci/devices/$nic/iommu_group")")
node=/dev/vfio/$grp
rules=$top/etc/udev/rules.d/70-passthru-tenant-acme.rules
limits=$top/etc/security/limits.d/passthru-tenant-acme.conf

pt group create nic -t pci
pt group make-resource nic "$nic" >/dev/null
run apply pt group apply nic -q
expect node-before-grant "0:0 600" "$(owner "$node")"
pt tenant create acme --admins acmeops
pt tenant create globex --admins globexops
expect tenant-file-mode "0:2001 640" "$(owner "$PT_CONF_DIR/tenants.d/acme.ini")"

run grant pt tenant grant acme nic --count 1
expect grant-rc 0 "$(cat grant.rc)"
expect node-granted "0:2001 660" "$(owner "$node")"
expect admin-opens opened "$(try_open acme "$node")"
expect other-tenant-refused "Permission denied" "$(try_open globex "$node")"
if grep -q "TEST==\"/sys/kernel/iommu_groups/\$kernel/devices/$nic\".*GROUP=\"acmeops\", MODE=\"0660\"" "$rules" 2>/dev/null; then
	ok udev-rule "$rules names $nic"
else
	not_ok udev-rule "$rules: $(cat "$rules" 2>&1)"
fi
if grep -q '^@acmeops hard memlock unlimited$' "$limits" 2>/dev/null; then
	ok limits "$limits"
else
	not_ok limits "$limits: $(cat "$limits" 2>&1)"
fi

# the tenant's admin runs its own VM, without root: pt attach start as the
# user, then a real QEMU as that user with exactly the printed arguments
# (-S, QMP): query-pci holds the e1000e (8086:10d3 = 32902:4307)
run vm-add as acme "pt attach add t1 acme:nic"
expect vm-add-rc 0 "$(cat vm-add.rc)"
run vm-start as acme "pt attach start t1 --format qemu"
expect vm-start-rc 0 "$(cat vm-start.rc)"
expect vm-start-args "-device vfio-pci,host=$nic,id=nic" "$(cat vm-start.out)"
rm -f qin
mkfifo qin
q="qemu-system-x86_64 -machine q35 -accel tcg,tb-size=32 -m 64 -nodefaults -display none"
q="$q -S -L /usr/share/seabios -qmp stdio $(tr '\n' ' ' <vm-start.out)"
(ulimit -l 524288 && exec su -s /bin/sh acme -c "exec $q") <qin >qmp.out 2>qemu.err &
qpid=$!
exec 3>qin
echo '{"execute":"qmp_capabilities"}' >&3
echo '{"execute":"query-pci"}' >&3
i=0
while [ "$(grep -c '"return"' qmp.out)" -lt 2 ] && kill -0 $qpid 2>/dev/null && [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
done
pci=$(grep '"return"' qmp.out | sed -n 2p)
if echo "$pci" | grep -q '"qdev_id": "nic"' && echo "$pci" | grep -q '"vendor": 32902' &&
	echo "$pci" | grep -q '"device": 4307'; then
	ok qemu-as-tenant-query-pci "QEMU as acme (uid $(grep '^Uid:' /proc/$qpid/status 2>/dev/null | cut -f2)) holds nic, 8086:10d3, after ${i}s"
else
	not_ok qemu-as-tenant-query-pci "query-pci: $(echo "$pci" | cut -c1-300); $(tail -n3 qemu.err)"
fi
echo '{"execute":"quit"}' >&3
exec 3>&-
wait $qpid
run vm-other as acme "pt attach add t2 nic"
expect vm-host-group-refused 7 "$(cat vm-other.rc)"
run vm-b-group as acme "pt attach add t2 globex:nic"
expect vm-other-tenant-group-refused 7 "$(cat vm-b-group.rc)"
run vm-globex as globex "pt attach --tenant acme list"
expect vm-other-tenant-refused 7 "$(cat vm-globex.rc)"
run vm-revoke-busy pt tenant revoke acme nic
expect revoke-while-in-use 6 "$(cat vm-revoke-busy.rc)"
# plants: the tenant's admin links a root-only file and makes a FIFO in
# its own directory; its commands refuse them (6), root's gc and revoke
# name and skip them without following or blocking (timeout 20: a FIFO
# opened for reading would hang), and the file behind the link is untouched
tdir=$PT_CONF_DIR/tenants.d/acme.d
shadow=$(sha256sum /etc/shadow)
as acme "ln -s /etc/shadow $tdir/x.lease && mkfifo $tdir/y.lease"
run plant-list as acme "timeout 20 pt attach list"
expect plant-tenant-refused 6 "$(cat plant-list.rc)"
run plant-gc timeout 20 pt attach gc
expect plant-gc-rc 0 "$(cat plant-gc.rc)"
if grep -q 'acme.d/x.lease' plant-gc.err && grep -q 'acme.d/y.lease' plant-gc.err; then
	ok plant-gc-named "$(tr '\n' ' ' <plant-gc.err | cut -c1-200)"
else
	not_ok plant-gc-named "$(cat plant-gc.err)"
fi
run plant-revoke timeout 20 pt tenant revoke acme nic
expect plant-revoke-refused 6 "$(cat plant-revoke.rc)"
expect plant-not-followed "$shadow" "$(sha256sum /etc/shadow)"
rm -f "$tdir/x.lease" "$tdir/y.lease"
run vm-stop as acme "pt attach stop t1"
expect vm-stop-rc 0 "$(cat vm-stop.rc)"

# the tenant's own state, and no other tenant's
run show-own as acme "pt tenant show acme"
expect show-own-rc 0 "$(cat show-own.rc)"
if grep -q "$nic" show-own.out; then
	ok show-own-unit
else
	not_ok show-own-unit "$(cat show-own.out show-own.err)"
fi
run show-other as globex "pt tenant show acme"
expect show-other-rc 7 "$(cat show-other.rc)"
expect read-other-file "Permission denied" \
	"$(as globex "cat $PT_CONF_DIR/tenants.d/acme.ini" 2>&1 | sed 's/.*: //')"

run revoke pt tenant revoke acme nic
expect revoke-rc 0 "$(cat revoke.rc)"
expect node-revoked "0:0 600" "$(owner "$node")"
expect admin-refused-after-revoke "Permission denied" "$(try_open acme "$node")"
if [ -e "$rules" ] || [ -e "$limits" ]; then
	not_ok host-files-removed "$(ls "$top/etc/udev/rules.d" "$top/etc/security/limits.d" 2>&1)"
else
	ok host-files-removed
fi

# a USB unit, the usb-serial by its serial: its usbfs node goes to
# root:acmeops 0660 at grant (the admin opens it, globex's does not), the
# udev rule names the serial, and revoke gives it back to root:root 0664
usb=
for d in /sys/bus/usb/devices/*; do
	[ "$(cat "$d/serial" 2>/dev/null)" = PTVM-SERIAL-1 ] && usb=$d && break
done
if [ -z "$usb" ]; then
	not_ok usb-device "no USB device with serial PTVM-SERIAL-1 (machine.conf)"
else
	unode=$(printf '/dev/bus/usb/%03d/%03d' "$(cat "$usb/busnum")" "$(cat "$usb/devnum")")
	pt group create serial -t usb
	pt rule add serial ftdi 'serial eq PTVM-SERIAL-1'
	run usb-apply pt group apply serial -q
	run usb-grant pt tenant grant acme serial --count 1
	expect usb-grant-rc 0 "$(cat usb-grant.rc)"
	expect usb-node-granted "0:2001 660" "$(owner "$unode")"
	expect usb-admin-opens opened "$(try_open acme "$unode")"
	expect usb-other-tenant-refused "Permission denied" "$(try_open globex "$unode")"
	if grep -q 'PTVM-SERIAL-1.*GROUP="acmeops", MODE="0660"' "$rules" 2>/dev/null; then
		ok usb-udev-rule "$rules names the serial"
	else
		not_ok usb-udev-rule "$rules: $(cat "$rules" 2>&1)"
	fi
	run usb-revoke pt tenant revoke acme serial
	expect usb-revoke-rc 0 "$(cat usb-revoke.rc)"
	expect usb-node-revoked "0:0 664" "$(owner "$unode")"
	expect usb-admin-refused-after-revoke "Permission denied" "$(try_open acme "$unode")"
	run usb-release pt group release serial -q
	pt group delete serial
fi

pt tenant delete acme
pt tenant delete globex
run release pt group release nic -q
pt group delete nic
tenant_users_remove
rm -rf "$top"
done_checks
