#!/bin/sh
# Per-VF settings through the library's netlink path (ptvf calls
# the VF-settings step of the plan engine, as pt group apply does) on netdevsim's VFs,
# read back independently with iproute2's `ip -j link show`
# (65-vf-settings.py compares).
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
echo 8 >/sys/bus/netdevsim/del_device
done_checks
