"""The lab's seeded cluster: two nodes, three storages, two golden templates (one on local-lvm, one on the
shared nfs.01), an LXC template and PCI hardware.

Everything a demo or a test needs to exist before the first play runs. Tests may add to it; nothing here
is reached by the collection except through the API.
"""

import struct

GIB = 1024 ** 3
MIB = 1024 ** 2
KIB = 1024

NODES = ('pve1', 'pve2')
TEMPLATE_VMID = 9000
TEMPLATE_NAME = 'debian-12-golden'
LXC_TEMPLATE = 'debian-12-standard_12.7-1_amd64.tar.zst'
LXC_TEMPLATE_VOLUME = 'local:vztmpl/' + LXC_TEMPLATE

STORAGES = {
    # `import` (disk images and OVAs to import from, PVE 8.2+): on the file-based storages, as a PVE 8.4/9
    # install has it on local.
    'local': {'type': 'dir', 'path': '/var/lib/vz', 'content': 'iso,vztmpl,backup,snippets,import', 'active': 1,
              'files': set(), 'avail': 80 * GIB},
    'local-lvm': {'type': 'lvmthin', 'vgname': 'pve', 'thinpool': 'data', 'content': 'images,rootdir',
                  'active': 1, 'files': set(), 'avail': 400 * GIB},
    # A shared storage whose ID has a dot in it: volume IDs must be split on the first ':' only.
    'nfs.01': {'type': 'nfs', 'path': '/mnt/pve/nfs.01', 'server': '192.0.2.50', 'export': '/export/pve',
               'content': 'images,rootdir,backup,iso,vztmpl,import', 'shared': 1, 'active': 1, 'files': set(),
               'avail': 2048 * GIB},
}

TEMPLATE_VOLUMES = {
    'base-9000-disk-0': 528 * KIB,   # efidisk0, 4m OVMF vars
    'base-9000-disk-1': 4 * MIB,     # tpmstate0
    'base-9000-disk-2': 8 * GIB,     # scsi0, the system disk
    'vm-9000-cloudinit': 4 * MIB,    # the cloud-init drive
}

TEMPLATE_CONFIG = {
    'name': TEMPLATE_NAME,
    'template': 1,
    'bios': 'ovmf',
    'machine': 'q35',
    'ostype': 'l26',
    'cpu': 'x86-64-v2-AES',
    'cores': 2,
    'sockets': 1,
    'memory': '2048',
    'scsihw': 'virtio-scsi-single',
    'efidisk0': 'local-lvm:base-9000-disk-0,efitype=4m,pre-enrolled-keys=1,size=528K',
    'tpmstate0': 'local-lvm:base-9000-disk-1,size=4M,version=v2.0',
    'scsi0': 'local-lvm:base-9000-disk-2,discard=on,iothread=1,size=8G,ssd=1',
    'ide2': 'local-lvm:vm-9000-cloudinit,media=cdrom',
    'net0': 'virtio=BC:24:11:9A:00:01,bridge=vmbr0',
    'agent': '1',
    'boot': 'order=scsi0',
    'serial0': 'socket',
    'vga': 'serial0',
    'smbios1': 'uuid=6d1f2f8e-3a57-4c7e-9d59-90a2b1c0f001',
    'vmgenid': '1c1e0f7a-54b6-4fb3-8d0a-5f1f6a1b9000',
    'meta': 'creation-qemu=10.0.2,ctime=1760000000',
}

# The same golden image on the shared storage: PVE clones to another node only from shared storage
# (qemu-server API2/Qemu.pm clone_vm), so a VM on pve2 is cloned from this one. File-based storage: the
# volumes live in a <vmid>/ directory, qcow2 except the TPM state (always raw).
SHARED_TEMPLATE_VMID = 9001
SHARED_TEMPLATE_NAME = 'debian-12-golden-shared'
SHARED_TEMPLATE_STORAGE = 'nfs.01'

SHARED_TEMPLATE_VOLUMES = {
    '9001/base-9001-disk-0.qcow2': ('qcow2', 528 * KIB),   # efidisk0
    '9001/base-9001-disk-1.raw': ('raw', 4 * MIB),         # tpmstate0
    '9001/base-9001-disk-2.qcow2': ('qcow2', 8 * GIB),     # scsi0
    '9001/vm-9001-cloudinit.qcow2': ('qcow2', 4 * MIB),    # the cloud-init drive
}

SHARED_TEMPLATE_CONFIG = dict(
    TEMPLATE_CONFIG,
    name=SHARED_TEMPLATE_NAME,
    efidisk0='nfs.01:9001/base-9001-disk-0.qcow2,efitype=4m,pre-enrolled-keys=1,size=528K',
    tpmstate0='nfs.01:9001/base-9001-disk-1.raw,size=4M,version=v2.0',
    scsi0='nfs.01:9001/base-9001-disk-2.qcow2,discard=on,iothread=1,size=8G,ssd=1',
    ide2='nfs.01:9001/vm-9001-cloudinit.qcow2,media=cdrom',
    net0='virtio=BC:24:11:9A:00:02,bridge=vmbr0',
    smbios1='uuid=6d1f2f8e-3a57-4c7e-9d59-90a2b1c0f002',
    vmgenid='1c1e0f7a-54b6-4fb3-8d0a-5f1f6a1b9001',
)

# Files on `local` every node sees (issue 15): an installer ISO, a hookscript (executable), cloud-init
# snippets, and a small qcow2 cloud image to import from (only its header: a 2 GiB virtual disk).
ISO_FILE = 'debian-12-netinst.iso'
ISO_VOLUME = 'local:iso/' + ISO_FILE
ISO_SIZE = 628 * MIB
SNIPPETS = (('hook.pl', 1024, True), ('user.yaml', 512, False), ('network.yaml', 256, False))
IMPORT_IMAGE = 'debian-12-genericcloud.qcow2'
IMPORT_IMAGE_GIB = 2


def qcow2_header(virtual_size, backing_offset=0):
    """The first 104 bytes of a qcow2 v3 image (what `qemu-img info` reads the virtual size from)."""
    return struct.pack('>4sIQIIQ', b'QFI\xfb', 3, backing_offset, 0, 16, virtual_size) + bytes(72)


# Device nodes under /dev on every node (stat() of an LXC devN path): char or block devices, and a directory.
NODE_DEVICES = {'/dev/ttyS0': 'char', '/dev/ttyUSB0': 'char', '/dev/net/tun': 'char', '/dev/dri/renderD128': 'char',
                '/dev/sdb': 'block', '/dev/shm': 'dir'}

# Directories that exist on every node (PVE checks a directory mapping's path on the node it runs on).
NODE_DIRS = ('/srv/shared-data', '/srv/datasets', '/srv/scratch', '/mnt/media')

# (node, id, class, vendor, device, iommu group, extra)
PCI_DEVICES = (
    ('pve1', '0000:00:02.0', '0x030000', '0x8086', '0x3e92', 1,
     {'vendor_name': 'Intel Corporation', 'device_name': 'CoffeeLake-S GT2 [UHD Graphics 630]',
      'mdev_types': [{'type': 'i915-GVTg_V5_4', 'available': 1, 'description': 'low_gm_size: 128MB'},
                     {'type': 'i915-GVTg_V5_8', 'available': 2, 'description': 'low_gm_size: 64MB'}]}),
    ('pve1', '0000:00:1f.0', '0x060100', '0x8086', '0xa305', 9,
     {'vendor_name': 'Intel Corporation', 'device_name': 'Z390 Chipset LPC/eSPI Controller'}),
    ('pve1', '0000:01:00.0', '0x030000', '0x10de', '0x2204', 14,
     {'vendor_name': 'NVIDIA Corporation', 'device_name': 'GA102 [GeForce RTX 3090]',
      'subsystem_vendor': '0x1043', 'subsystem_device': '0x87b3'}),
    ('pve1', '0000:01:00.1', '0x040300', '0x10de', '0x1aef', 14,
     {'vendor_name': 'NVIDIA Corporation', 'device_name': 'GA102 High Definition Audio Controller',
      'subsystem_vendor': '0x1043', 'subsystem_device': '0x87b3'}),
    ('pve1', '0000:03:00.0', '0x020000', '0x8086', '0x1533', 16,
     {'vendor_name': 'Intel Corporation', 'device_name': 'I210 Gigabit Network Connection',
      'subsystem_vendor': '0x8086', 'subsystem_device': '0x0001'}),
    ('pve2', '0000:02:00.0', '0x020000', '0x8086', '0x1572', 20,
     {'vendor_name': 'Intel Corporation', 'device_name': 'Ethernet Controller X710 for 10GbE SFP+'}),
)

# USB: (node, bus, USB version) root hubs, then (node, sysfs name, vendid, prodid, devnum, speed, class, product,
# manufacturer) devices - a YubiKey on each node, a USB disk on pve1's USB 3 bus, a UPS behind a hub.
USB_BUSES = (('pve1', 1, '2'), ('pve1', 2, '3'), ('pve2', 1, '2'))
USB_DEVICES = (
    ('pve1', '1-2', '1050', '0407', 3, '12', 0, 'YubiKey OTP+FIDO+CCID', 'Yubico'),
    ('pve1', '1-4', '05e3', '0610', 4, '480', 9, 'USB2.1 Hub', 'GenesysLogic'),
    ('pve1', '1-4.1', '051d', '0002', 5, '1.5', 0, 'Back-UPS ES 700G FW:871.O4 .I USB FW:O4',
     'American Power Conversion'),
    ('pve1', '2-1', '0781', '5583', 2, '5000', 0, 'Ultra Fit', 'SanDisk'),
    ('pve2', '1-1', '1050', '0407', 2, '12', 0, 'YubiKey OTP+FIDO+CCID', 'Yubico'),
)


def seed(pve):
    """Give a fresh lab its cluster."""
    for node in NODES:
        pve.add_node(node)
        pve.node_dirs[node] = set(NODE_DIRS)
        pve.node_devices[node] = dict(NODE_DEVICES)
    pve.storages.clear()
    for name, options in STORAGES.items():
        pve.storages[name] = dict(options, files=set())
    volumes = pve.storages['local-lvm'].setdefault('volumes', {})
    for volname, size in TEMPLATE_VOLUMES.items():
        volumes[volname] = {'content': 'images', 'format': 'raw', 'size': size, 'vmid': TEMPLATE_VMID, 'ctime': 0}
    pve.storages['local-lvm']['avail'] -= sum(TEMPLATE_VOLUMES.values())
    pve.add_vm(TEMPLATE_VMID, TEMPLATE_NAME, node='pve1', config=dict(TEMPLATE_CONFIG), template=True)
    shared = pve.storages[SHARED_TEMPLATE_STORAGE]
    for volname, (fmt, size) in SHARED_TEMPLATE_VOLUMES.items():
        shared.setdefault('volumes', {})[volname] = {'content': 'images', 'format': fmt, 'size': size,
                                                     'vmid': SHARED_TEMPLATE_VMID, 'ctime': 0}
    shared['avail'] -= sum(size for _fmt, size in SHARED_TEMPLATE_VOLUMES.values())
    pve.add_vm(SHARED_TEMPLATE_VMID, SHARED_TEMPLATE_NAME, node='pve1', config=dict(SHARED_TEMPLATE_CONFIG),
               template=True)
    pve.store_file('local', LXC_TEMPLATE, 120 * MIB, content='vztmpl')
    pve.store_file('local', ISO_FILE, ISO_SIZE, content='iso')
    for name, size, executable in SNIPPETS:
        pve.store_snippet('local', name, size, executable=executable)
    pve.store_image('local', IMPORT_IMAGE, qcow2_header(IMPORT_IMAGE_GIB * GIB))
    for node, pci_id, cls, vendor, device, group, extra in PCI_DEVICES:
        pve.add_pci_device(node, pci_id, cls, vendor, device, group, **extra)
    for node, bus, version in USB_BUSES:
        pve.add_usb_bus(node, bus, version)
    for node, name, vendid, prodid, devnum, speed, cls, product, manufacturer in USB_DEVICES:
        pve.add_usb_device(node, name, vendid, prodid, devnum, speed, cls, product, manufacturer)
