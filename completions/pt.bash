# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for pt(8) and its pt-<command> links.
#
# Commands and options come from the binary being completed: `pt --list-cmds`
# and `pt <command> --list-opts`, so they cannot drift from the code. Values
# of options come from functions named after the option ('-' written '_'):
#
#   _pt_value_<command>__<option> CUR   for one command's option, else
#   _pt_value_<option> CUR              for an option of every command,
#
# and positional arguments from _pt_args_<command> CUR. Each adds its
# candidates to COMPREPLY. An option that has a value function takes a
# value; one without is a flag. The short forms of options that take a
# value are in _pt_short_<command> and _pt_short_common. A later command
# plugs its live names (groups, rules, VMs) in by defining these functions.

# Candidates for the roots a command line names: -O sysfs.root=DIR,
# then PT_SYSFS_ROOT, then /sys.
_pt_sysfs_root()
{
	local i w root=${PT_SYSFS_ROOT:-/sys}

	for ((i = 1; i < ${#_pt_w[@]}; i++)); do
		w=${_pt_w[i]}
		case $w in
		-O | --option) w=${_pt_w[i + 1]-} ;;
		--option=*) w=${w#--option=} ;;
		-O?*) w=${w#-O} ;;
		*) continue ;;
		esac
		[[ $w == sysfs.root=/* ]] && root=${w#sysfs.root=}
	done
	printf '%s\n' "${root%/}"
}

# Add the words of $1 (a list) that start with $2, each prefixed with $3.
_pt_add()
{
	local w

	for w in $1; do
		[[ $w == "$2"* ]] && COMPREPLY+=("$3$w")
	done
}

_pt_nospace()
{
	compopt -o nospace 2>/dev/null
}

# Directories below the path in $1, each prefixed with $2 and ending in '/'.
_pt_dirs()
{
	local d

	while IFS= read -r d; do
		COMPREPLY+=("$2$d/")
	done < <(compgen -d -- "$1")
	_pt_nospace
}

# -O / --option: KEY= first, then the value after the '=': an absolute
# directory for the roots, a file for nvml.library, nothing to offer for
# the number of lock.timeout.
_pt_value_option()
{
	local keys="sysfs.root= proc.root= dev.root= conf.dir= modules.dir= run.dir= nvml.library= lock.timeout="
	local dir=${1#*=} f

	if [[ $1 == lock.timeout=* ]]; then
		return
	elif [[ $1 == nvml.library=* ]]; then
		while IFS= read -r f; do
			[[ -d $f ]] && f+=/
			COMPREPLY+=("nvml.library=$f")
		done < <(compgen -f -- "$dir")
		_pt_nospace
	elif [[ $1 == *=* ]]; then
		[[ $dir == /* ]] || dir=/$dir
		_pt_dirs "$dir" "${1%%=*}="
	else
		_pt_add "$keys" "$1" ""
		_pt_nospace
	fi
}

# A comma-separated list from the words of $2; completes the last element.
_pt_list()
{
	local done=${1%"${1##*,}"} last=${1##*,}

	_pt_add "$2" "$last" "$done"
}

_pt_value_scan__type()
{
	_pt_list "$1" "pci gpu vgpu sriov usb"
}

# PCI slots of the sysfs root: full "dddd:bb:dd.f", or "bb:dd.f" once the
# word typed so far can only be the short form.
_pt_value_slot()
{
	local root d full=() short=()

	root=$(_pt_sysfs_root)
	for d in "$root"/bus/pci/devices/*; do
		[[ -e $d || -L $d ]] || continue
		d=${d##*/}
		full+=("$d")
		[[ $d == 0000:* ]] && short+=("${d#0000:}")
	done
	_pt_add "${full[*]}" "$1" ""
	((${#COMPREPLY[@]})) || _pt_add "${short[*]}" "$1" ""
}

# vendor:device IDs of the PCI functions (and, on the running system, the
# vendor:product IDs of the USB devices).
_pt_value_device()
{
	local root d v p ids=" "

	root=$(_pt_sysfs_root)
	for d in "$root"/bus/pci/devices/*; do
		{ read -r v <"$d/vendor" && read -r p <"$d/device"; } 2>/dev/null ||
			continue
		v=${v#0x} p=${p#0x}
		[[ $ids == *" $v:$p "* ]] || ids+="$v:$p "
	done
	if [[ $root == /sys ]]; then
		for d in /sys/bus/usb/devices/*; do
			{ read -r v <"$d/idVendor" && read -r p <"$d/idProduct"; } 2>/dev/null ||
				continue
			[[ $ids == *" $v:$p "* ]] || ids+="$v:$p "
		done
	fi
	_pt_add "$ids" "$1" ""
}

# pt scan --group: IOMMU group numbers of the sysfs root.
_pt_value_scan__group()
{
	local root g groups=()

	root=$(_pt_sysfs_root)
	for g in "$root"/kernel/iommu_groups/*; do
		[[ -d $g ]] && groups+=("${g##*/}")
	done
	_pt_add "${groups[*]}" "$1" ""
}

# USB device names ("1-4.2") of the running system.
_pt_usb_names()
{
	local d

	[[ $(_pt_sysfs_root) == /sys ]] || return
	for d in /sys/bus/usb/devices/[0-9]*-*; do
		d=${d##*/}
		[[ $d == *:* ]] || printf '%s\n' "$d"
	done
}

# The -O options of the command line, to pass on to the binary.
_pt_root_opts()
{
	local i w

	for ((i = 1; i < _pt_cw; i++)); do
		w=${_pt_w[i]}
		case $w in
		-O | --option) printf '%s\n' -O "${_pt_w[i + 1]-}" ;;
		--option=*) printf '%s\n' -O "${w#--option=}" ;;
		-O?*) printf '%s\n' -O "${w#-O}" ;;
		esac
	done
}

# Resource group names, from the binary and the conf dir of the line.
_pt_groups()
{
	local -a o

	mapfile -t o < <(_pt_root_opts)
	"${_pt_run[@]}" --list-groups "${o[@]}" 2>/dev/null
}

# Rule names of group $1, from its JSON (names are plain words).
_pt_rules()
{
	local -a o
	local line re='^    "name": "([^"]*)",?$'

	mapfile -t o < <(_pt_root_opts)
	while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done < <("${_pt_prog[@]}" rule list "$1" --json "${o[@]}" 2>/dev/null)
}

# The settings a group takes (pt group --list-settings), for group $1.
_pt_settings()
{
	local -a o

	mapfile -t o < <(_pt_root_opts)
	"${_pt_run[@]}" --list-settings "$1" "${o[@]}" 2>/dev/null
}

# Positional words before the cursor, options and their values left out;
# in _pt_pos.
_pt_positionals()
{
	local i w long

	_pt_pos=()
	for ((i = _pt_first; i < _pt_cw; i++)); do
		w=${_pt_w[i]}
		case $w in
		--)
			_pt_pos+=("${_pt_w[@]:i+1:_pt_cw-i-1}")
			return
			;;
		--*=*) ;;
		--*)
			[[ -n $(_pt_value_fn "$_pt_cmd" "${w#--}") ]] && ((i++))
			;;
		-?)
			long=$(_pt_short_long "$_pt_cmd" "$w")
			[[ -n $long && -n $(_pt_value_fn "$_pt_cmd" "$long") ]] && ((i++))
			;;
		-*) ;;
		*) _pt_pos+=("$w") ;;
		esac
	done
}

# pt group
_pt_value_group__type()
{
	_pt_add "pci vgpu sriov-nic usb" "$1" ""
}

_pt_value_group__list_settings()
{
	_pt_add "$(_pt_groups) pci vgpu sriov-nic usb" "$1" ""
}

_pt_args_group()
{
	local -a _pt_pos

	_pt_positionals
	case ${#_pt_pos[@]}:${_pt_pos[0]-} in
	0:*)
		_pt_add "create list show set unset delete make-resource check apply release" \
			"$1" ""
		;;
	1:show | 1:set | 1:unset | 1:delete | 1:make-resource | *:check | *:apply | *:release)
		_pt_add "$(_pt_groups)" "$1" ""
		;;
	*:make-resource)
		_pt_value_slot "$1"
		_pt_add "$(_pt_usb_names)" "$1" ""
		;;
	*:set)
		# KEY=VALUE: the settings of the group's type
		[[ $1 == *=* ]] && return
		_pt_add "$(_pt_settings "${_pt_pos[1]}")" "$1" ""
		COMPREPLY=("${COMPREPLY[@]/%/=}")
		_pt_nospace
		;;
	*:unset)
		_pt_add "$(_pt_settings "${_pt_pos[1]}")" "$1" ""
		;;
	esac
}

# pt rule
_pt_value_rule__node()
{
	_pt_add "${HOSTNAME%%.*}" "$1" ""
}

_pt_value_rule__explain()
{
	_pt_value_slot "$1"
	_pt_add "$(_pt_usb_names)" "$1" ""
}

_pt_value_rule__list_fields()
{
	_pt_add "$(_pt_groups) pci vgpu sriov-nic usb" "$1" ""
}

_pt_args_rule()
{
	local -a _pt_pos o
	local n

	_pt_positionals
	n=${#_pt_pos[@]}
	case $n:${_pt_pos[0]-} in
	0:*)
		_pt_add "add list show remove test" "$1" ""
		;;
	1:add | 1:list | 1:show | 1:remove | 1:test)
		_pt_add "$(_pt_groups)" "$1" ""
		;;
	2:show | 2:remove | 2:test)
		_pt_add "$(_pt_rules "${_pt_pos[1]}")" "$1" ""
		;;
	*:add)
		# MATCH: FIELD OP VALUE [and FIELD OP VALUE]...
		((n < 3)) && return
		case $(((n - 3) % 4)) in
		0)
			mapfile -t o < <(_pt_root_opts)
			_pt_add "$("${_pt_run[@]}" --list-fields "${_pt_pos[1]}" "${o[@]}" \
				2>/dev/null)" "$1" ""
			;;
		1) _pt_add "eq ne lt le gt ge begins ends contains icontains regex" "$1" "" ;;
		3) _pt_add "and" "$1" "" ;;
		esac
		;;
	esac
}

# Short forms of the options that take a value.
_pt_short_common="-O:option"
_pt_short_scan="-t:type -s:slot -d:device -g:group"
_pt_short_group="-t:type"
_pt_short_rule="-N:node -e:explain"

# The value function for option $2 of command $1, or nothing for a flag.
_pt_value_fn()
{
	local opt=${2//-/_} c=${1//-/_}

	if declare -F "_pt_value_${c}__$opt" >/dev/null; then
		echo "_pt_value_${c}__$opt"
	elif declare -F "_pt_value_$opt" >/dev/null; then
		echo "_pt_value_$opt"
	fi
}

# Long name of the short option $2 of command $1 that takes a value.
_pt_short_long()
{
	local v="_pt_short_${1//-/_}" m

	for m in ${!v-} $_pt_short_common; do
		[[ ${m%%:*} == "$2" ]] && { echo "${m#*:}"; return; }
	done
}

# COMP_WORDS split at COMP_WORDBREAKS ('=', ':'); glue the pieces of one
# shell word back together. Sets _pt_w, _pt_cw and _pt_cur.
_pt_reassemble()
{
	local i w rest trimmed pos=0 glue line=${COMP_LINE-}

	_pt_w=()
	_pt_cw=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		glue=0
		if [[ -n $line ]]; then
			rest=${line:pos}
			trimmed=${rest#"${rest%%[![:space:]]*}"}
			((i > 0 && ${#trimmed} == ${#rest})) && glue=1
			((pos += ${#rest} - ${#trimmed} + ${#w}))
		elif ((i > 0)) && [[ $w == [=:]* || ${COMP_WORDS[i - 1]} == *[=:] ]]; then
			glue=1
		fi
		if ((glue)); then
			_pt_w[${#_pt_w[@]} - 1]+=$w
		else
			_pt_w+=("$w")
		fi
		((i == COMP_CWORD)) && _pt_cw=$((${#_pt_w[@]} - 1))
	done
	_pt_cur=${_pt_w[_pt_cw]-}
}

_pt()
{
	local _pt_w _pt_cw _pt_cur _pt_cmd _pt_first prog base cmd first i w fn long
	local -a run _pt_run _pt_prog

	COMPREPLY=()
	_pt_reassemble
	prog=${_pt_w[0]/#\~/$HOME}
	base=${prog##*/}
	if [[ $base == pt-* ]]; then
		cmd=${base#pt-}
		run=("$prog")
		first=1
	else
		if ((_pt_cw == 1)); then
			if [[ $_pt_cur == -* ]]; then
				_pt_add "--version --help --list-cmds" "$_pt_cur" ""
			else
				_pt_add "$("$prog" --list-cmds 2>/dev/null)" "$_pt_cur" ""
			fi
			_pt_trim
			return 0
		fi
		cmd=${_pt_w[1]}
		run=("$prog" "$cmd")
		first=2
	fi

	# for the value and argument functions
	_pt_cmd=$cmd _pt_first=$first _pt_run=("${run[@]}") _pt_prog=("$prog")
	[[ $base == pt-* ]] && _pt_prog=("${prog%-*}")

	if [[ $cmd == help ]]; then
		((_pt_cw == first)) &&
			_pt_add "$("$prog" --list-cmds 2>/dev/null | grep -vx help)" "$_pt_cur" ""
		_pt_trim
		return 0
	fi

	# Is the word before the cursor an option waiting for its value?
	# Stop at "--": everything after it is an argument.
	for ((i = first; i < _pt_cw; i++)); do
		[[ ${_pt_w[i]} == -- ]] && {
			fn=_pt_args_${cmd//-/_}
			declare -F "$fn" >/dev/null && "$fn" "$_pt_cur"
			_pt_trim
			return 0
		}
	done
	w=${_pt_w[_pt_cw - 1]}
	if ((_pt_cw > first)); then
		case $w in
		--?*=*) ;;
		--?*) long=${w#--} ;;
		-?) long=$(_pt_short_long "$cmd" "$w") ;;
		esac
	fi
	if [[ -n $long ]]; then
		fn=$(_pt_value_fn "$cmd" "$long")
		if [[ -n $fn ]]; then
			"$fn" "$_pt_cur"
			_pt_trim
			return 0
		fi
	fi

	case $_pt_cur in
	--?*=*)
		long=${_pt_cur%%=*}
		fn=$(_pt_value_fn "$cmd" "${long#--}")
		if [[ -n $fn ]]; then
			"$fn" "${_pt_cur#*=}"
			COMPREPLY=("${COMPREPLY[@]/#/$long=}")
		fi
		;;
	-*)
		# after a verb, the options of that verb (pt group apply --list-opts)
		local -a _pt_pos
		_pt_positionals
		_pt_add "$("${run[@]}" "${_pt_pos[@]:0:1}" --list-opts 2>/dev/null)" \
			"$_pt_cur" ""
		;;
	*)
		fn=_pt_args_${cmd//-/_}
		declare -F "$fn" >/dev/null && "$fn" "$_pt_cur"
		;;
	esac
	_pt_trim
	return 0
}

# Make COMPREPLY relative to the word readline replaces: the part of the
# shell word after its last COMP_WORDBREAKS character ('=', ':').
_pt_trim()
{
	local breaks=${COMP_WORDBREAKS-$' \t\n"\'><=;|&(:'} strip='' i

	for ((i = ${#_pt_cur} - 1; i >= 0; i--)); do
		if [[ $breaks == *"${_pt_cur:i:1}"* ]]; then
			strip=${_pt_cur:0:i+1}
			break
		fi
	done
	[[ -n $strip ]] && COMPREPLY=("${COMPREPLY[@]#"$strip"}")
	return 0
}

# ---- pt attach (block maintained with cmd/attach.c) --------------------------

# VM names, from the binary and the conf dir of the line.
_pt_vms()
{
	local -a o

	mapfile -t o < <(_pt_root_opts)
	"${_pt_prog[@]}" attach --list-vms "${o[@]}" 2>/dev/null
}

# Request names of VM $1: the second column of pt attach list VM.
_pt_requests()
{
	local -a o
	local vm req rest

	mapfile -t o < <(_pt_root_opts)
	while read -r vm req rest; do
		[[ $vm == VM ]] || printf '%s\n' "$req"
	done < <("${_pt_prog[@]}" attach list "$1" -q "${o[@]}" 2>/dev/null)
}

_pt_value_attach__format()
{
	_pt_add "qemu libvirt json" "$1" ""
}

# Numbers and names the admin chooses: nothing to offer, but they take a value.
_pt_value_attach__count() { :; }
_pt_value_attach__name() { :; }
_pt_value_attach__pid() { :; }

_pt_args_attach()
{
	local -a _pt_pos

	_pt_positionals
	case ${#_pt_pos[@]}:${_pt_pos[0]-} in
	0:*)
		_pt_add "add remove list show start stop gc check" "$1" ""
		;;
	1:add | 1:remove | 1:list | 1:show | 1:start | 1:stop | 1:check)
		_pt_add "$(_pt_vms)" "$1" ""
		;;
	2:add)
		_pt_add "$(_pt_groups)" "$1" ""
		;;
	2:remove)
		_pt_add "$(_pt_requests "${_pt_pos[1]}")" "$1" ""
		;;
	esac
}

_pt_short_attach=""

# ---- end of pt attach ----------------------------------------------------------

# ---- pt tenant (block maintained with cmd/tenant.c) --------------------------

# Tenant names, from the binary and the conf dir of the line.
_pt_tenants()
{
	local -a o

	mapfile -t o < <(_pt_root_opts)
	"${_pt_prog[@]}" tenant --list-tenants "${o[@]}" 2>/dev/null
}

# Unix groups of this host, for --admins.
_pt_value_tenant__admins()
{
	_pt_add "$(getent group 2>/dev/null | cut -d: -f1)" "$1" ""
}

# A host name pattern and a number the admin chooses: they take a value.
_pt_value_tenant__node() { :; }
_pt_value_tenant__count() { :; }

_pt_args_tenant()
{
	local -a _pt_pos

	_pt_positionals
	case ${#_pt_pos[@]}:${_pt_pos[0]-} in
	0:*)
		_pt_add "create delete list show grant revoke" "$1" ""
		;;
	1:delete | 1:show | 1:grant | 1:revoke)
		_pt_add "$(_pt_tenants)" "$1" ""
		;;
	2:grant | 2:revoke)
		_pt_add "$(_pt_groups)" "$1" ""
		;;
	esac
}

_pt_short_tenant=""

# ---- end of pt tenant ----------------------------------------------------------

_pt_register()
{
	local c self=${BASH_SOURCE[0]##*/}

	complete -F _pt pt
	# Loaded on demand through a pt-<command> link of this file.
	[[ $self == pt-?* ]] && complete -F _pt "$self"
	for c in $(pt --list-cmds 2>/dev/null); do
		[[ $c == help ]] || complete -F _pt "pt-$c"
	done
}
_pt_register
unset -f _pt_register
