#!/bin/sh
# pt attach start's QEMU arguments, given to a real QEMU (issue #10): a VM
# with the e1000e from a pci group, an NVMe VF from an sriov-nic group, an
# mtty instance from a vgpu (mdev) group and a USB device by serial.
# qemu-system-x86_64 (Debian's, in this guest, TCG, -S) starts with
# exactly the printed arguments after a fixed base; QMP query-pci and
# "info usb" are kept for 75-attach-qemu.py, with the kernel's view of
# what QEMU holds open (its fds, the USB interface's driver). A second VM
# asking for the same single-device group is refused while the first
# runs; after stop and release the guest is as before.
. /pt-vm/lib.sh
export PT_CONF_DIR=/tmp/pt-qemu-conf PT_RUN_DIR=/tmp/pt-qemu-run
rm -rf "$PT_CONF_DIR" "$PT_RUN_DIR"

# What apply/start/stop/release may change: PCI drivers, overrides and
# SR-IOV counts; USB interface drivers; mdev instances; /dev/vfio; leases.
snapshot() {
	pci_snapshot
	for d in /sys/bus/usb/devices/*:*; do
		echo "usb ${d##*/} driver=$(drv "$d")"
	done
	echo "mdevs: $(ls /sys/bus/mdev/devices 2>/dev/null | tr '\n' ' ')"
	echo "dev/vfio: $(ls /dev/vfio | grep -v '^vfio$' | tr '\n' ' ')"
	for f in /dev/vfio/* /dev/bus/usb/*/*; do echo "$f $(stat -c '%u:%g %a' "$f")"; done
	echo "leases: $(ls "$PT_RUN_DIR/leases" 2>/dev/null | tr '\n' ' ')"
}

nic=$(find_dev 0x8086 0x10d3)
nvme=$(find_dev 0x1b36 0x0010)
usb=
for d in /sys/bus/usb/devices/*; do
	[ "$(cat "$d/serial" 2>/dev/null)" = PTVM-SERIAL-1 ] && usb=$d && break
done
for d in "$usb":*; do echo "${d##*/} driver=$(drv "$d")"; done >usb-host-drivers.txt
loaded=
if [ ! -d /sys/module/mtty ]; then
	modprobe mtty && loaded=yes
fi
echo "nic=$nic nvme=$nvme usb=${usb##*/}" >devices.txt
snapshot >before.txt

# ---- groups, applied; the VM's requests
pt group create nic -t pci
pt group make-resource nic "$nic" >/dev/null
pt group create vfs -t sriov-nic numvfs=2
pt group make-resource vfs "$nvme" >/dev/null
pt group create tty -t vgpu profile=mtty-2 mode=mdev
pt group make-resource tty mtty >/dev/null
pt group create serial -t usb
pt rule add serial ftdi 'serial eq PTVM-SERIAL-1'
run apply pt group apply nic vfs tty serial
pt attach add web nic
pt attach add web vfs
pt attach add web tty
pt attach add web serial
pt attach add db nic
snapshot >applied.txt

# answers(N): wait up to 120 s for N answers ("return"), or QEMU gone
answers() {
	i=0
	while [ "$(grep -c '"return"' "${P}qmp.out")" -lt "$1" ] && kill -0 $qpid 2>/dev/null &&
		[ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	echo "waited ${i}s for $1 QMP answers" >>"${P}qmp-wait.txt"
}

# vm_run PREFIX VM [USER]: start VM, run QEMU (as USER: with RLIMIT_MEMLOCK
# raised by root first, as PAM's limits.conf would) with exactly what start
# printed, ask QMP, look at what QEMU holds, quit, stop. Files: PREFIX*.
vm_run() {
	P=$1
	run "${P}start" pt attach start "$2" --format qemu
	# what each printed device is, read from sysfs: ids, IOMMU group
	for a in $(cat "${P}start.out"); do
		id=$(echo "$a" | sed -n 's/.*,id=\([^,]*\).*/\1/p')
		case $a in
		vfio-pci,host=*)
			h=/sys/bus/pci/devices/$(echo "$a" | sed -n 's/.*host=\([^,]*\).*/\1/p')
			echo "$(cut -c3- "$h/vendor"):$(cut -c3- "$h/device")" >"${P}ids-$id.txt"
			basename "$(readlink "$h/iommu_group")" >>"${P}vfio-groups.txt"
			;;
		vfio-pci,sysfsdev=*)
			# mtty's emulated function (samples/vfio-mdev/mtty.c: MTTY_VENDOR/DEVICE)
			echo 4348:3253 >"${P}ids-$id.txt"
			h=$(echo "$a" | sed -n 's/.*sysfsdev=\([^,]*\).*/\1/p')
			basename "$(readlink "$h/iommu_group")" >>"${P}vfio-groups.txt"
			;;
		esac
	done
	rm -f qin
	mkfifo qin
	# shellcheck disable=SC2046 # the printed arguments, one word each
	q="qemu-system-x86_64 -machine q35 -accel tcg,tb-size=32 -m 64 -nodefaults"
	q="$q -display none -S -L /usr/share/seabios -qmp stdio $(tr '\n' ' ' <"${P}start.out")"
	if [ -n "$3" ]; then
		(ulimit -l 524288 && exec su "$3" -c "exec $q") <qin >"${P}qmp.out" 2>"${P}qemu.err" &
	else
		$q <qin >"${P}qmp.out" 2>"${P}qemu.err" &
	fi
	qpid=$!
	exec 3>qin
	echo '{"execute":"qmp_capabilities"}' >&3
	echo '{"execute":"query-pci"}' >&3
	echo '{"execute":"human-monitor-command","arguments":{"command-line":"info usb"}}' >&3
	echo '{"execute":"human-monitor-command","arguments":{"command-line":"info pci"}}' >&3
	answers 4
	# usb-host opens its device once the VM runs (QEMU checks the host's USB
	# devices every 2 s while running): let it run until QEMU holds the
	# device's usbfs node, then ask "info usb" again
	echo '{"execute":"cont"}' >&3
	answers 5
	i=0
	while ! ls -l /proc/$qpid/fd 2>/dev/null | grep -q "$node" && kill -0 $qpid 2>/dev/null &&
		[ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	echo "waited ${i}s for $node" >>"${P}qmp-wait.txt"
	echo '{"execute":"human-monitor-command","arguments":{"command-line":"info usb"}}' >&3
	answers 6
	if kill -0 $qpid 2>/dev/null; then
		ok "${P}qemu-running" "pid $qpid: $(tr '\n' ';' <"${P}qmp-wait.txt")"
		# what QEMU holds and who it runs as, as the kernel sees it
		for f in /proc/$qpid/fd/*; do readlink "$f"; done | sort -u >"${P}qemu-fds.txt"
		grep -E '^(Uid|Gid):' /proc/$qpid/status >"${P}qemu-ids.txt"
		for d in "$usb":*; do echo "${d##*/} driver=$(drv "$d")"; done >"${P}usb-held.txt"
		owners >"${P}owners-running.txt"
		if [ -z "$3" ]; then
			# a second VM asking for the single e1000e, while web runs
			run start-db pt attach start db
		fi
		echo '{"execute":"quit"}' >&3
		wait $qpid
		echo $? >"${P}qemu.rc"
	else
		not_ok "${P}qemu-running" "QEMU exited: $(tail -n3 "${P}qemu.err")"
	fi
	exec 3>&-
	run "${P}stop" pt attach stop "$2"
	snapshot >"${P}stopped.txt"
}

# who owns the VFIO group nodes and the USB node
owners() {
	for f in /dev/vfio/* "$node"; do
		echo "$f $(stat -c '%u:%g %a' "$f")"
	done
}

printf '/dev/bus/usb/%03d/%03d\n' "$(cat "$usb/busnum")" "$(cat "$usb/devnum")" >usb-node.txt
node=$(cat usb-node.txt)
cat "$usb/product" >usb-product.txt
cat "$usb/speed" >usb-speed.txt

# ---- as root
vm_run "" web

# ---- as an unprivileged user: start gives the nodes to the VM's user
pt attach add webu nic
pt attach add webu vfs
pt attach add webu tty
pt attach add webu serial
printf '[vm]\nuser = ptvm\ngroup = ptvm\n' >>"$PT_CONF_DIR/vms.d/webu.ini"
vm_run u- webu ptvm

run release pt group release nic vfs tty serial
[ -n "$loaded" ] && rmmod mtty
snapshot >after.txt
done_checks
