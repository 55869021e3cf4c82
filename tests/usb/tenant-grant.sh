#!/bin/sh
# pt tenant grant and revoke of USB devices, run under umockdev (tests/usb
# host.umockdev): two YubiKeys (1050:0407, by serial) and the mouse with no
# serial (by its port, 1-10) go to tenant acme; the udev rule names each by
# what survives a re-plug (vendor, product and serial, or the port), never
# by device number; a grant of more than the group has is refused naming
# what is free; revoke removes the rule with the last unit. umockdev's
# /dev/bus/usb entries are no device nodes, so no node is given here (the
# udev rule gives them on a real host).
#   tenant-grant.sh PT
# Prints each command's output and exit status and the host files.
pt=$1
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
mkdir -p "$top/etc"
export PT_CONF_DIR="$top/etc/passthru" PT_RUN_DIR="$top/run"

step() {
	echo "\$ pt $*"
	out=$("$pt" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed "s|$top|@TOP@|g"
	echo "[exit $rc]"
}
files() {
	for f in "$top"/etc/udev/rules.d/* "$top"/etc/security/limits.d/*; do
		[ -e "$f" ] || continue
		echo "${f#"$top"/}:"
		grep -v '^#' "$f"
	done
}

step group create keys --type usb -q
step rule add keys yk 'vendor_id eq 1050 and port_path ne 4.3' -q
step rule add keys mouse 'port_path eq 10' -q
step tenant create acme --admins users -q
step tenant grant acme keys --count 4
step tenant grant acme keys --count 3
files
step tenant show acme
step tenant revoke acme keys --count 1
files
step tenant revoke acme keys -q
files
