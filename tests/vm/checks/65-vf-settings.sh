#!/bin/sh
# Per-VF settings through the library's netlink path (ptvf calls
# the VF-settings step of the plan engine, as pt group apply does) on netdevsim's VFs,
# read back independently with iproute2's `ip -j link show`
# (65-vf-settings.py compares); and a VF's MAC set and set back as
# pt attach start and stop do.
. /pt-vm/lib.sh

modprobe netdevsim || not_ok netdevsim-load "modprobe netdevsim failed"
echo "8 1" >/sys/bus/netdevsim/new_device
nsim=/sys/bus/netdevsim/devices/netdevsim8
i=0
while [ ! -d "$nsim/net" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
nd=$(ls "$nsim/net" 2>/dev/null | head -n1)
if [ -z "$nd" ] || ! echo 4 >"$nsim/sriov_numvfs"; then
	not_ok netdevsim-vfs "no netdev or no VFs under $nsim"
	done_checks
	exit
fi
echo "$nd" >ifname.txt
/usr/sbin/ip -j link show "$nd" >before.json
run vf0 ptvf "$nd" 0 vlan=100 qos=3 vlan_proto=802.1Q
run vf1 ptvf "$nd" 1 min_tx_rate=10 max_tx_rate=500 link_state=disable
run vf2 ptvf "$nd" 2 spoofchk=no trust=yes query_rss=yes
run vf3 ptvf "$nd" 3 vlan=42 link_state=enable spoofchk=yes trust=no max_tx_rate=1000
run bad ptvf "$nd" 9 trust=yes
/usr/sbin/ip -j link show "$nd" >after.json
# the VF MAC as pt attach start sets it (and stop sets the old one again)
run mac-set ptvf "$nd" 1 mac=02:1d:48:55:31:ba
/usr/sbin/ip -j link show "$nd" >mac-set.json
old=$(sed -n 's/^before //p' mac-set.out)
run mac-back ptvf "$nd" 1 "mac=${old:-none}"
/usr/sbin/ip -j link show "$nd" >mac-back.json
echo 8 >/sys/bus/netdevsim/del_device
done_checks
