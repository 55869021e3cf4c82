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
