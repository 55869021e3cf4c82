# Helpers for guest checks (/pt-vm/checks/NN-name.sh), sourced with
# ". /pt-vm/lib.sh". A check prints TAP-like lines the host counts:
#   ok NN-name/what [- detail]       not ok NN-name/what - why
# and may leave files in its result directory (the working directory,
# $PT_OUT) for a host-side NN-name.py to compare. Anything else it prints
# is shown as a comment.
: "${PT_CHECK:?run by /pt-vm/init}"
PT_FAILED=0

ok() {
	echo "ok $PT_CHECK/$1${2:+ - $2}"
}

not_ok() {
	echo "not ok $PT_CHECK/$1 - ${2:-failed}"
	PT_FAILED=1
}

# expect NAME WANT GOT: ok when equal.
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1" "$3"
	else
		not_ok "$1" "expected '$2', got '$3'"
	fi
}

# run NAME CMD...: run CMD, keep its stdout, stderr and exit status as
# NAME.out, NAME.err, NAME.rc in the result directory. Returns its status.
run() {
	_n=$1
	shift
	"$@" >"$_n.out" 2>"$_n.err"
	_rc=$?
	echo $_rc >"$_n.rc"
	return $_rc
}

# done_checks: the exit status for the end of a check script.
done_checks() {
	return $PT_FAILED
}

# Shared by the checks that change the host (60-apply, 70-in-use,
# 75-attach-qemu) and compare it before and after.

# find_dev VENDOR DEVICE: the BDF of the first PCI function with those ids
# (as sysfs writes them: 0x8086 0x10d3); nothing when there is none.
find_dev() {
	for _d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$_d/vendor")" = "$1" ] && [ "$(cat "$_d/device")" = "$2" ]; then
			echo "${_d##*/}"
			return
		fi
	done
}

# drv DEV: the driver bound to DEV, a PCI function's BDF or a sysfs device
# path; "none" when unbound.
drv() {
	case $1 in
	*/*) _p=$1 ;;
	*) _p=/sys/bus/pci/devices/$1 ;;
	esac
	_l=$(readlink "$_p/driver" 2>/dev/null) && echo "${_l##*/}" || echo none
}

# pci_snapshot: what apply, release, start and stop may change on every
# PCI function: driver and driver_override; SR-IOV counts and autoprobe.
pci_snapshot() {
	for _d in /sys/bus/pci/devices/*; do
		echo "${_d##*/} driver=$(drv "$_d") override=$(cat "$_d/driver_override")"
		[ -e "$_d/sriov_numvfs" ] &&
			echo "${_d##*/} numvfs=$(cat "$_d/sriov_numvfs") autoprobe=$(cat "$_d/sriov_drivers_autoprobe")"
	done
}

# The tenant checks' Unix users: groups acmeops (2001) and globexops (2002)
# with one admin each, acme and globex; tenant_users_remove puts
# /etc/passwd and /etc/group back as they were.
tenant_users_add() {
	cp /etc/passwd passwd.orig
	cp /etc/group group.orig
	echo "acmeops:x:2001:" >>/etc/group
	echo "globexops:x:2002:" >>/etc/group
	echo "acme:x:2001:2001::/tmp:/bin/sh" >>/etc/passwd
	echo "globex:x:2002:2002::/tmp:/bin/sh" >>/etc/passwd
}

tenant_users_remove() {
	cp passwd.orig /etc/passwd
	cp group.orig /etc/group
}

# USER CMD: run CMD as USER (not root), with this environment
as() {
	su -p -s /bin/sh "$1" -c "$2"
}

# PATH: "uid:gid mode", as the kernel shows it
owner() {
	stat -c '%u:%g %a' "$1" 2>&1
}

# USER NODE: "opened", or why not
try_open() {
	as "$1" "exec 3<>$2 && echo opened" 2>&1 | sed 's/.*: //'
}
