#!/bin/sh
# pt scan --check on a real kernel with a virtual Intel IOMMU. The facts the
# doctor should find are recorded independently (30-doctor.py compares).
. /pt-vm/lib.sh

run check pt scan --check --json
run check-text pt scan --check

{
	echo "[facts]"
	echo "dmar=$(ls /sys/class/iommu 2>/dev/null | grep -c '^dmar')"
	echo "groups=$(ls /sys/kernel/iommu_groups | wc -l)"
	echo "ir_chips=$(grep -o 'IR-[A-Z-]*' /proc/interrupts | sort -u | tr '\n' ' ')"
	echo "cmdline=$(cat /proc/cmdline)"
	echo "cpu_flags=$(grep -m1 -ow -e vmx -e svm /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "cpu_vendor=$(grep -m1 '^vendor_id' /proc/cpuinfo | sed 's/.*: //')"
	echo "dev_kvm=$([ -e /dev/kvm ] && echo yes || echo no)"
	for m in vfio vfio_pci vfio_iommu_type1 mdev; do
		if [ -e "/sys/module/$m/initstate" ]; then
			echo "module_$m=loaded"
		elif grep -q "/${m}.ko" "/lib/modules/$(uname -r)/modules.dep" ||
			grep -q "/$(echo $m | tr _ -).ko" "/lib/modules/$(uname -r)/modules.dep"; then
			echo "module_$m=available"
		else
			echo "module_$m=missing"
		fi
	done
} >facts.txt
done_checks
