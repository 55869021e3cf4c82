# SPDX-License-Identifier: GPL-2.0-or-later
"""The lease the attach tests share: VM "web" running with a GPU and its
audio function (a whole IOMMU group of one slot), a VF of a sriov-nic group
and an mdev vGPU instance, in the lease format of pt-attach(8). hook.py runs
the libvirt hook against it; libvirt.py adds an NVIDIA per-VF vGPU and USB
devices and feeds the XML to libvirt."""

WEB = """[lease]
vm = web
state = running
pid = 0
uuid = 81721f58-9e84-5444-ae13-63e8114801b1

[device "gpus"]
request = gpus
group = gpus
type = pci
functions = 0000:01:00.0 0000:01:00.1

[device "nic"]
request = nic
group = uplink
type = sriov-nic
functions = 0000:04:02.0
pf = 0000:04:00.0
vf = 0
mac = 02:6c:4b:d2:69:a0

[device "t4"]
request = t4
group = t4
type = vgpu
mode = mdev
mdev_uuid = 4c0219bc-85da-5a76-814d-a7ab86a05ca8
mdev_parent = 0000:02:00.0
mdev_type = nvidia-232
created = yes
"""
