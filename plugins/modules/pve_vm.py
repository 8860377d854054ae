#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_vm
short_description: Manage Proxmox VE QEMU virtual machines, from clone to safe destroy
version_added: 0.1.0
description:
  - Creates a VM from scratch or by cloning a template, converges its hardware and settings, controls its
    power state and destroys it safely.
  - A VM is found by O(vmid) or by O(name); names are treated as unique. A re-run with the same O(name) never
    clones or creates a second VM.
  - Idempotent - a run that changes nothing sends no write request. Check mode sends no write request at all
    and returns the RV(plan). Diff mode shows every changed key before and after.
  - Devices are lists of dicts with a C(slot). Slots a play does not list are never touched; options a play
    leaves out of a listed device keep their current values. A device is removed only with C(state=absent) on
    its slot, and a removed disk is kept as an C(unusedN) volume unless O(purge_volumes=true).
  - Every value is checked before anything is written; storages, nodes and vCPU counts are checked against
    the cluster when something is going to be written.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
  - iac.proxmox.guest
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists the ordered actions.
    support: full
  diff_mode:
    description: Supported; before and after of every changed key (secrets masked).
    support: full
options:
  name:
    description:
      - The VM's name (a DNS name). Identifies the VM when O(vmid) is not given; with O(vmid), renames it.
      - Fails if several guests carry the name.
    type: str
  node:
    description:
      - Node for a new VM (default for a clone - the source's node). For an existing VM, speeds up finding it;
        the VM is never migrated.
      - A clone onto another node than the source's needs every volume of the source (disks, EFI and TPM
        disks, the cloud-init drive, ISO images in CD-ROM drives) on shared storage, as PVE requires. Otherwise
        the task fails before any write, naming the volumes on local storage. The ways out - a template whose
        disks are on shared storage, or one template per node (clone the one on the target node). The module
        does not clone and then migrate.
    type: str
  clone:
    description:
      - Name or VMID of the VM or template to clone a new VM from. Ignored when the VM exists.
      - After the clone the same task converges the rest of the options with one config write.
    type: str
  storage:
    description:
      - Target storage of a full clone's disks. IDs with dots (V(nfs.01)) work.
      - For a clone onto another node it must be a shared storage (PVE refuses a local one).
    type: str
  state:
    description:
      - V(present) converges the config and leaves the power state alone.
      - V(started), V(stopped), V(restarted) also bring the power state there, each waiting for its task and
        for the state it asked for.
      - V(template) converts the VM to a template (shutting it down first).
      - A hibernated VM (C(qm suspend --todisk), config C(lock=suspended)) is resumed from its saved state by
        V(started) and V(restarted) - a start is what resumes it in PVE - and then converged as a running VM.
        With other states it is left as it is when nothing is to change; a change fails at once (PVE changes
        nothing of a hibernated VM until it is resumed) instead of waiting O(lock_timeout).
      - V(absent) destroys the VM safely - a protected VM fails and nothing is written; a running VM is shut
        down gracefully up to O(shutdown_timeout), then stopped; then the VM is deleted with its disks and its
        job and HA entries, and the task waits until it is gone. A template that linked clones still use
        fails before anything is written, naming their VMIDs, as PVE destroys no such template (on LVM-thin,
        where PVE lets it go, it is destroyed).
    type: str
    choices: [present, started, stopped, restarted, absent, template]
    default: present
  cores:
    description: CPU cores per socket. O(cores) x O(sockets) may not exceed the node's CPU threads or 512.
    type: int
  sockets:
    description: CPU sockets.
    type: int
  balloon:
    description: Minimum memory in MiB for the balloon device; V(0) disables it.
    type: int
  cpu:
    description:
      - CPU type, for example V(host) or V(x86-64-v2-AES), or PVE's whole C(cpu) property
        (V(host,flags=+aes)); the string is compared as a whole.
      - Or a dict with C(type), C(flags) (a list such as V([+aes, -pcid])), C(hidden) (hide KVM from the guest)
        and C(phys_bits) (8-64 or V(host)), merged into the VM's current C(cpu) - keys left out keep their
        values. Flags compare as a set, in the order PVE stores them.
      - A VM may only set the flags PVE allows (aes, amd-no-ssb, amd-ssbd, hv-evmcs, hv-tlbflush, ibpb,
        md-clear, nested-virt, pcid, pdpe1gb, spec-ctrl, ssbd, virt-ssbd); others are refused before any write.
    type: raw
  vcpus:
    description: vCPUs plugged at start (PVE's C(vcpus)); at most O(cores) x O(sockets); without it, all of them.
    type: int
  cpuunits:
    description: CPU weight (1-262144; PVE on cgroup v2 uses at most 10000; its default is 100).
    type: int
  cpulimit:
    description: CPU usage limit in CPUs (0-128; V(0) is no limit).
    type: float
  affinity:
    description:
      - Host CPUs the VM's processes run on, such as V(0,5,8-11); an empty string removes it. Compared as a set
        of CPUs.
      - PVE lets only root@pam logged in with a password set it; with any other login it is refused before any
        write.
    type: str
  numa:
    description: Enable NUMA.
    type: bool
  numa_nodes:
    description:
      - NUMA nodes (C(numa0)-C(numa7)). Keys an entry leaves out keep their values; a new node needs C(cpus)
        and C(memory).
      - As PVE checks at the VM's start, checked before any write on the config the play converges to - the
        nodes need O(numa=true), their C(memory) adds up to the VM's memory, C(cpus) are below O(cores) x
        O(sockets), C(hostnodes) need a C(policy).
    type: list
    elements: dict
    suboptions:
      slot:
        description: The node, V(numa0)-V(numa7).
        type: str
        required: true
      cpus:
        description: vCPUs of the node - V(0-1;4) or a list (V([0, 1, 4])).
        type: raw
      memory:
        description: Memory of the node in MiB.
        type: int
      hostnodes:
        description: Host NUMA nodes - V(0) or V(0-1;3).
        type: raw
      policy:
        description: Memory allocation policy for the host nodes.
        type: str
        choices: [preferred, bind, interleave]
      state:
        description: V(absent) removes the node.
        type: str
        choices: [present, absent]
        default: present
  hotplug:
    description:
      - Hotplug features, compared as a set - V([disk, network, usb]) is PVE's default; V([]) turns hotplug off
        (PVE's V(0)). C(memory) needs O(numa=true) and no O(numa_nodes).
    type: list
    elements: str
    choices: [network, disk, usb, memory, cpu, cloudinit]
  hugepages:
    description:
      - Hugepages size - V(any), V(2) or V(1024) (MiB); V(none) removes it. Needs O(numa=true).
      - PVE lets only root@pam logged in with a password set it; with any other login it is refused before any
        write.
    type: str
  shares:
    description: Memory shares for auto-ballooning (0-50000; V(0) disables it; PVE's default 1000).
    type: int
  tablet:
    description: The USB tablet device (absolute mouse positioning for VNC; PVE's default on).
    type: bool
  kvm:
    description: KVM hardware virtualization (PVE's default on).
    type: bool
  acpi:
    description: ACPI (PVE's default on).
    type: bool
  localtime:
    description: The real time clock in local time (PVE turns it on for Windows guests when not set).
    type: bool
  keyboard:
    description: VNC keyboard layout, one of PVE's (V(en-us), V(de), V(fr), ...); an empty string removes it.
    type: str
  args:
    description:
      - Extra arguments for KVM (experts only); an empty string removes them.
      - PVE lets only root@pam logged in with a password set them; with any other login they are refused before
        any write, with PVE's reason (only root can set 'args' config).
    type: str
  machine:
    description:
      - Machine type, for example V(q35) or V(pc-i440fx-9.2), with PVE's other machine keys if wanted
        (V(q35,viommu=intel); V(type=q35) works too). V(i440fx) is taken as PVE's V(pc). Checked against PVE's
        machine format before any write. C(enable-s3) and C(enable-s4) need PVE 8.4 or later, C(aw-bits) PVE 9
        (qemu-server 9.0.21 or later).
      - PVE pins the machine version of a Windows guest when it creates it, or when O(ostype) changes to a
        Windows type and the same write leaves C(machine) alone (V(q35) becomes V(pc-q35-10.0+pve1) with QEMU
        10.0). A pinned version satisfies a play that names only the type
        (V(q35), V(pc), V(virt)), so reruns change nothing and the pin stays; name a version to change it.
    type: str
  bios:
    description: Firmware.
    type: str
    choices: [seabios, ovmf]
  ostype:
    description: Guest OS type.
    type: str
    choices: [other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris]
  agent:
    description:
      - QEMU guest agent - V(true)/V(false), or a dict with C(enabled), C(fstrim_cloned_disks), C(freeze_fs),
        C(type). Agent options not given keep their values.
      - C(freeze_fs) is written in the spelling the VM's config already uses (C(freeze-fs-on-backup) from PVE 8 and
        9.0, C(freeze-fs) from 9.2); a VM without either gets C(freeze-fs) from PVE 9.2 on and C(freeze-fs-on-backup)
        before (one C(/version) read, only when the value changes).
    type: raw
  boot:
    description: Boot order - a list of slots (V([scsi0, net0])) or PVE's V(order=scsi0;net0).
    type: raw
  scsihw:
    description: SCSI controller.
    type: str
    choices: [lsi, lsi53c810, virtio-scsi-pci, virtio-scsi-single, megasas, pvscsi]
  vga:
    description: Display, for example V(std), V(serial0) or V(qxl,memory=32).
    type: str
  disks:
    description:
      - Disks and CD/DVD drives by slot. A new disk needs C(storage) and C(size), or C(storage) and
        C(import_from). An existing disk only grows (a resize); a smaller size is an error.
      - An entry with C(media=cdrom) is a CD/DVD drive (see C(iso)). A slot that holds a CD/DVD drive is never
        treated as a disk, nor a disk as a CD/DVD drive - such an entry is refused before any write.
      - Disk options left out keep their current values; V(0) removes a throttle limit.
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(scsi0)-V(scsi30), V(virtio0)-V(virtio15), V(sata0)-V(sata5), V(ide0)-V(ide3).
        type: str
        required: true
      storage:
        description: Storage of a new disk. For an existing disk on another storage, the disk is moved there.
        type: str
      size:
        description: Size, for example V(32G) or V(512M).
        type: str
      backup:
        description: Include the disk in backups.
        type: bool
      discard:
        description: Pass discard/TRIM to the storage.
        type: bool
      ssd:
        description: Present the disk as an SSD.
        type: bool
      iothread:
        description: Use an IO thread (needs a virtio-scsi-single controller for SCSI disks).
        type: bool
      cache:
        description: Cache mode.
        type: str
        choices: [none, writethrough, writeback, unsafe, directsync]
      format:
        description: Image format of a new disk on a file storage.
        type: str
        choices: [raw, qcow2, vmdk]
      import_from:
        description:
          - Create the disk from an image (PVE's C(import-from)) - an import image V(local:import/debian-12.qcow2)
            (C(.qcow2), C(.raw) or C(.vmdk) on a storage with C(import) content) or a VM image such as
            V(local-lvm:vm-9000-disk-0) or V(nfs:9000/vm-9000-disk-0.qcow2). Needs C(storage), the target.
          - The image is checked to exist before any write. The new disk gets the image's size; a larger C(size)
            grows it right after the import, a smaller one is refused before any write.
          - Only when the slot is created. PVE keeps no record of the source, so on an existing slot the option is
            not compared and nothing is imported again (remove the disk with C(state=absent) to import anew).
        type: str
      media:
        description: V(cdrom) makes the entry a CD/DVD drive (on an ide, sata or scsi slot), with C(iso).
        type: str
        choices: [disk, cdrom]
      iso:
        description:
          - The medium of a CD/DVD drive (C(media=cdrom)) - an ISO image V(local:iso/debian-12.iso), checked
            before any write to be listed on that storage as C(iso) content; V(none) for an empty drive (eject);
            or V(cdrom) for the node's physical drive (PVE requires Sys.Console for it).
          - A new drive without C(iso) is empty. On a running VM PVE changes the medium at once (no restart).
        type: str
      aio:
        description: Asynchronous IO mode of the drive.
        type: str
        choices: [native, threads, io_uring]
      iops_rd:
        description: Read limit in operations per second (V(0) no limit).
        type: int
      iops_wr:
        description: Write limit in operations per second (V(0) no limit).
        type: int
      iops_rd_max:
        description: Burst read limit in operations per second (V(0) no limit).
        type: int
      iops_wr_max:
        description: Burst write limit in operations per second (V(0) no limit).
        type: int
      mbps_rd:
        description: Read limit in MB/s (V(0) no limit).
        type: float
      mbps_wr:
        description: Write limit in MB/s (V(0) no limit).
        type: float
      mbps_rd_max:
        description: Burst read limit in MB/s (V(0) no limit).
        type: float
      mbps_wr_max:
        description: Burst write limit in MB/s (V(0) no limit).
        type: float
      serial:
        description: Serial number the guest sees, up to 20 bytes, url-encoded as PVE stores it; V('') removes it.
        type: str
      wwn:
        description: World wide name, V(0x) and 16 hex digits (scsi, sata and ide drives; PVE has none for virtio).
        type: str
      ro:
        description: Read-only drive (scsi and virtio drives; PVE has none for ide and sata).
        type: bool
      replicate:
        description: Include the disk in storage replication jobs (PVE's default V(true)).
        type: bool
      snapshot:
        description: QEMU snapshot mode - writes are discarded when the VM stops.
        type: bool
      state:
        description: V(absent) detaches the disk (its volume stays as C(unusedN) unless O(purge_volumes)).
        type: str
        choices: [present, absent]
        default: present
  efidisk:
    description:
      - The EFI vars disk (needs O(bios=ovmf)). A clone keeps the source's EFI disk attributes unless told
        otherwise; C(efitype) and C(pre_enrolled_keys) can only be chosen when the EFI disk is created.
    type: dict
    suboptions:
      storage:
        description: Storage of a new EFI disk (or where to move an existing one).
        type: str
      efitype:
        description: Size of the OVMF vars.
        type: str
        choices: ['2m', '4m']
      pre_enrolled_keys:
        description: Enroll the distribution and Microsoft Secure Boot keys.
        type: bool
      state:
        description: V(absent) detaches the EFI disk.
        type: str
        choices: [present, absent]
        default: present
  tpm:
    description:
      - TPM state - a dict with C(storage) and C(version) (V(v1.2) or V(v2.0), chosen at creation only), or
        V(false) to remove the TPM.
    type: raw
  nets:
    description:
      - Network devices by slot. A new one needs C(bridge) (C(model) defaults to V(virtio)). An existing MAC
        address is kept unless C(macaddr) is given.
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(net0)-V(net31).
        type: str
        required: true
      model:
        description: NIC model, for example V(virtio) or V(e1000).
        type: str
      bridge:
        description: Bridge, for example V(vmbr0).
        type: str
      tag:
        description: VLAN tag; V(0) removes it.
        type: int
      firewall:
        description: Use the PVE firewall on this NIC.
        type: bool
      link_down:
        description: The link state - V(true) is a cable unplugged.
        type: bool
      mtu:
        description: MTU (V(1) means the bridge's MTU).
        type: int
      rate:
        description: Rate limit in MB/s.
        type: float
      macaddr:
        description: MAC address.
        type: str
      ipconfig:
        description:
          - Cloud-init IP settings of this NIC - C(ipconfigN) of the NIC's C(netN), merged like the NIC itself
            (keys not given are kept; V(ip=dhcp) drops an old C(gw) unless one is given, as in
            O(cloudinit.ipconfig)).
          - The same C(ipconfigN) cannot also be given in O(cloudinit.ipconfig). A VM without a cloud-init drive
            needs O(cloudinit.storage) to get one.
        type: dict
        suboptions:
          ip:
            description: V(dhcp) or an IPv4 address with prefix length.
            type: str
          gw:
            description: IPv4 gateway.
            type: str
          ip6:
            description: V(dhcp), V(auto) or an IPv6 address with prefix length.
            type: str
          gw6:
            description: IPv6 gateway.
            type: str
          state:
            description: V(absent) removes C(ipconfigN).
            type: str
            choices: [present, absent]
            default: present
      state:
        description: V(absent) removes the NIC.
        type: str
        choices: [present, absent]
        default: present
  cloudinit:
    description:
      - Cloud-init settings. When any changes on a stopped VM, the cloud-init drive is regenerated.
      - The guest reads the drive when it boots, and PVE regenerates it at every start. A change on a
        running VM is in the config at once but reaches the guest only at its next start or reboot; the
        drive is then left for PVE to regenerate at that start, and this run and later ones report the keys
        PVE shows as not yet on the drive in RV(next_boot) with RV(reboot_required); O(apply_pending=reboot)
        reboots the VM so the guest takes them.
    type: dict
    suboptions:
      user:
        description: User to create.
        type: str
      password:
        description: Its password; stored hashed by PVE, never shown in results or diffs.
        type: str
      update_password:
        description:
          - V(on_create) sets the password when the VM is created (or has none); V(always) sets it on every run
            (PVE only keeps a hash, so it cannot be compared, and the task reports a change each time).
        type: str
        choices: [always, on_create]
        default: on_create
      ssh_keys:
        description: SSH public keys for the user (a set).
        type: list
        elements: str
      ipconfig:
        description:
          - IP settings per NIC - list item N is C(ipconfigN) unless it names its C(slot).
          - Merged into the existing C(ipconfigN) like NICs; keys the item does not name are kept, except that
            V(ip=dhcp) drops an old C(gw) (and V(ip6=dhcp) or V(auto) an old C(gw6)) unless the item names one.
        type: list
        elements: dict
        suboptions:
          slot:
            description: V(0)-V(31) or V(ipconfig0)-V(ipconfig31).
            type: str
          ip:
            description: V(dhcp) or an IPv4 address with prefix length.
            type: str
          gw:
            description: IPv4 gateway.
            type: str
          ip6:
            description: V(dhcp), V(auto) or an IPv6 address with prefix length.
            type: str
          gw6:
            description: IPv6 gateway.
            type: str
          state:
            description: V(absent) removes this ipconfig.
            type: str
            choices: [present, absent]
            default: present
      nameserver:
        description: DNS servers, kept in this order (the order resolvers try them); another order is a change.
        type: list
        elements: str
      searchdomain:
        description: DNS search domain(s).
        type: str
      storage:
        description: Storage for a new cloud-init drive, when the VM has none.
        type: str
      slot:
        description: Slot for a new cloud-init drive.
        type: str
        default: ide2
      custom:
        description:
          - Custom cloud-init files (C(cicustom)) - snippet volumes (V(local:snippets/user.yaml)) that replace
            the generated user, network, meta or vendor data.
          - Merged into the current C(cicustom); an empty string removes one file. PVE reads the files only when
            it generates the drive, so each file is checked before any write to exist on a storage with
            C(snippets) content on the VM's node.
        type: dict
        suboptions:
          user:
            description: User data snippet.
            type: str
          network:
            description: Network data snippet.
            type: str
          meta:
            description: Meta data snippet.
            type: str
          vendor:
            description: Vendor data snippet.
            type: str
      type:
        description: The cloud-init format (C(citype)); PVE's default is V(nocloud) for Linux, V(configdrive2) for Windows.
        type: str
        choices: [nocloud, configdrive2, opennebula]
      upgrade:
        description: Upgrade the packages after the first boot (C(ciupgrade); PVE's default V(true)).
        type: bool
  usb:
    description:
      - USB devices by slot (C(usbN)). A new one needs C(host), C(mapping) or C(spice); giving one of them
        replaces the device of an existing slot, and C(usb3) alone changes only that flag.
      - A host device is root@pam's only (PVE - only root can set 'usbN' config for real devices); a
        cluster USB mapping (M(iac.proxmox.pve_usb_mapping)) is the way for other users (C(Mapping.Use)). The
        mapping is checked before any write to exist and to map a device on the VM's node.
      - Hot-plugged into a running VM with the C(usb) hotplug feature (PVE's default) when the VM's machine
        and OS allow it; otherwise the change is pending until the next start.
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(usb0)-V(usb13) (above V(usb4) PVE needs machine version 7.1 or later and a Linux or Windows 8+ guest).
        type: str
        required: true
      host:
        description: A host device - V(vendor:device) in hex (V(1050:0407)) or the port V(bus-port[.port]) (V(1-4.1)).
        type: str
      mapping:
        description: The ID of a cluster USB mapping.
        type: str
      spice:
        description: V(true) for a SPICE USB redirection device.
        type: bool
      usb3:
        description: Plug it into a USB3 controller (irrelevant for modern guests, where every device is on xHCI).
        type: bool
      state:
        description: V(absent) removes the device.
        type: str
        choices: [present, absent]
        default: present
  serial:
    description:
      - Serial ports by slot (C(serialN)). V(socket) is a console for the web UI's xterm.js and C(qm terminal).
      - A host device (V(/dev/ttyS0)) is root@pam's only, to add, change or remove, as PVE enforces.
      - A change of a running VM is pending until its next start.
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(serial0)-V(serial3).
        type: str
        required: true
      type:
        description: V(socket) or a host device path.
        type: str
      state:
        description: V(absent) removes the port.
        type: str
        choices: [present, absent]
        default: present
  rng:
    description:
      - A VirtIO random number generator (C(rng0)); merged into the current one. A new one needs C(source).
      - Pending on a running VM until its next start, like O(watchdog), O(audio) and O(smbios).
    type: dict
    suboptions:
      source:
        description: The host's entropy source.
        type: str
        choices: [/dev/urandom, /dev/random, /dev/hwrng]
      max_bytes:
        description: Bytes of entropy per C(period) (PVE's default 1024; V(0) is no limit).
        type: int
      period:
        description: The period in milliseconds (PVE's default 1000).
        type: int
      state:
        description: V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
  watchdog:
    description: A watchdog device (C(watchdog)); merged into the current one. A new one is an V(i6300esb) unless C(model) is given.
    type: dict
    suboptions:
      model:
        description: The emulated watchdog.
        type: str
        choices: [i6300esb, ib700]
      action:
        description: What happens when the guest stops polling it.
        type: str
        choices: [reset, shutdown, poweroff, pause, debug, none]
      state:
        description: V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
  audio:
    description: An audio device (C(audio0)); merged into the current one. A new one needs C(device).
    type: dict
    suboptions:
      device:
        description: The emulated sound card.
        type: str
        choices: [ich9-intel-hda, intel-hda, AC97]
      driver:
        description: The backend (PVE's default V(spice)).
        type: str
        choices: [spice, none]
      state:
        description: V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
  smbios:
    description:
      - SMBIOS type 1 fields (C(smbios1)), merged into the current ones - the C(uuid) PVE gave the VM is kept
        unless O(smbios.uuid) is given.
      - Written as PVE's web UI writes them - every text value base64-encoded, with C(base64=1) - so any
        characters work; compared decoded, so values stored either way compare right.
    type: dict
    suboptions:
      manufacturer:
        description: Manufacturer.
        type: str
      product:
        description: Product name.
        type: str
      version:
        description: Version.
        type: str
      serial:
        description: Serial number.
        type: str
      sku:
        description: SKU.
        type: str
      family:
        description: Family.
        type: str
      uuid:
        description: The SMBIOS UUID.
        type: str
      state:
        description: V(absent) removes C(smbios1), the uuid with it.
        type: str
        choices: [present, absent]
        default: present
  purge_volumes:
    description: Also delete the volumes of disks removed with C(state=absent), instead of keeping them as C(unusedN).
    type: bool
    default: false
  apply_pending:
    description:
      - What to do with changes PVE keeps pending on a running VM. V(never) reports them (RV(pending),
        RV(reboot_required)); V(reboot) reboots the VM and waits until it runs again.
      - PVE applies at once what it can hot-plug (with the default C(hotplug) of network, disk and usb - NIC
        changes, new or removed scsi/virtio disks; C(memory) and C(vcpus) only with those C(hotplug) features;
        options such as C(name), C(tags), C(onboot); an C(agent) change of C(fstrim_cloned_disks) only); those
        are never pending. C(cores), C(sockets), C(cpu), C(machine), C(bios) and ide/sata/efidisk/tpmstate
        changes always are. A hotplug PVE tries and that fails leaves its key pending with a warning.
      - Cloud-init settings are never pending in PVE, but a running guest reads them only at its next boot
        (RV(next_boot)); V(reboot) reboots for them too.
    type: str
    choices: [never, reboot]
    default: never
  wait_for_agent:
    description:
      - After starting or rebooting the VM, wait until its guest agent answers; then report the guest's IP
        addresses (RV(ip), RV(ip_addresses)) as the agent tells them.
    type: bool
    default: false
  agent_timeout:
    description: Seconds to wait for the guest agent.
    type: int
    default: 300
  lock_timeout:
    description:
      - Seconds to wait for a lock held by another operation (backup, clone, migrate) before failing.
      - The C(suspended) lock of a hibernated VM is not waited for (see O(state)).
    type: int
    default: 60
  timeout:
    description: Seconds to wait for a task (clone, create, start, resize).
    type: int
    default: 600
notes:
  - Privileges - C(VM.Audit) to read; C(VM.Clone) on the source and C(VM.Allocate) for new VMs;
    C(VM.Config.*) for settings; C(Datastore.AllocateSpace) on storages for new disks; C(VM.PowerMgmt) for power;
    C(VM.Allocate) to destroy.
seealso:
  - module: iac.proxmox.pve_dir_mapping
'''

EXAMPLES = r'''
- name: Web VM from the golden template, started
  iac.proxmox.pve_vm:
    name: web-01
    clone: debian-12-golden
    storage: nfs.01
    cores: 4
    memory: 4G
    tags: [web, prod]
    disks:
      - slot: scsi0
        size: 32G
      - slot: scsi1
        storage: nfs.01
        size: 100G
        backup: false
    nets:
      - slot: net0
        bridge: vmbr0
        tag: 20
    cloudinit:
      user: admin
      ssh_keys: ["{{ lookup('file', '~/.ssh/id_ed25519.pub') }}"]
      ipconfig:
        - ip: 10.0.20.11/24
          gw: 10.0.20.1
    state: started

- name: CPU flags, NUMA nodes, start order and a hookscript
  iac.proxmox.pve_vm:
    name: db01
    cores: 2
    sockets: 2
    memory: 4096
    cpu:
      type: host
      flags: [+aes, -pcid]
    numa: true
    numa_nodes:
      - {slot: numa0, cpus: 0-1, memory: 2048, hostnodes: 0, policy: bind}
      - {slot: numa1, cpus: 2-3, memory: 2048, hostnodes: 0, policy: bind}
    hotplug: [disk, network, usb, cpu]
    startup: {order: 2, up: 30, down: 60}
    hookscript: local:snippets/hook.pl
    tablet: false
    keyboard: en-us
- name: A serial console, a USB key through a cluster mapping, an RNG and a watchdog
  iac.proxmox.pve_vm:
    name: web-01
    serial:
      - slot: serial0
        type: socket
    usb:
      - slot: usb0
        mapping: yubikey
    rng:
      source: /dev/urandom
    watchdog:
      model: i6300esb
      action: reset

- name: A SPICE USB redirection, sound and the SMBIOS a licensed appliance checks (the uuid is kept)
  iac.proxmox.pve_vm:
    name: appliance-01
    usb:
      - slot: usb1
        spice: true
    audio:
      device: ich9-intel-hda
      driver: spice
    smbios:
      manufacturer: ACME Corp.
      product: Appliance 3000
      serial: "SN-0042"

- name: Cloud-init from snippets, the IP of each NIC beside the NIC
  iac.proxmox.pve_vm:
    name: web-02
    nets:
      - slot: net0
        bridge: vmbr0
        ipconfig:
          ip: 10.0.20.12/24
          gw: 10.0.20.1
      - slot: net1
        bridge: vmbr1
        ipconfig:
          ip: dhcp
    cloudinit:
      storage: local-lvm
      type: nocloud
      upgrade: false
      custom:
        user: local:snippets/user.yaml
        network: local:snippets/network.yaml

- name: Unplug the NIC of a VM
  iac.proxmox.pve_vm:
    name: web-01
    nets:
      - slot: net0
        link_down: true

- name: More memory, applied by a reboot if the VM runs
  iac.proxmox.pve_vm:
    name: web-01
    memory: 8G
    apply_pending: reboot

- name: Destroy it (gracefully, then forced after 60 seconds)
  iac.proxmox.pve_vm:
    name: web-01
    state: absent
    shutdown_timeout: 60

- name: A VM from a cloud image - the disk imported from the image, grown to 20G
  iac.proxmox.pve_vm:
    name: cloud-01
    node: pve1
    scsihw: virtio-scsi-single
    disks:
      - slot: scsi0
        import_from: local:import/debian-12-genericcloud.qcow2
        storage: local-lvm
        size: 20G
        discard: true
        iops_rd: 2000
        mbps_wr: 200

- name: Attach an installer ISO
  iac.proxmox.pve_vm:
    name: install-01
    disks:
      - slot: ide2
        media: cdrom
        iso: local:iso/debian-12-netinst.iso

- name: Eject it once installed (the drive stays, empty)
  iac.proxmox.pve_vm:
    name: install-01
    disks:
      - slot: ide2
        media: cdrom
        iso: none
'''

RETURN = r'''
vmid:
  description: The VM's ID (null in check mode for a VM that would be created).
  returned: always
  type: int
  sample: 101
node:
  description: The node the VM is on.
  returned: always
  type: str
  sample: pve1
name:
  description: The VM's name.
  returned: always
  type: str
status:
  description: The VM's power state after the run, or V(absent).
  returned: always
  type: str
  sample: running
template:
  description: Whether the VM is a template.
  returned: unless absent
  type: bool
changed_keys:
  description: The config keys (and disk slots resized or moved) that changed.
  returned: unless absent
  type: list
  elements: str
  sample: [memory, net0, scsi1]
pending:
  description: Config keys whose change waits for a restart of the running VM.
  returned: unless absent
  type: list
  elements: str
  sample: [memory]
reboot_required:
  description:
    - Whether the running VM needs a restart for changes to reach it - PVE keeps changes pending
      (RV(pending)), or cloud-init settings changed that the guest reads only at its next boot (RV(next_boot)).
    - A rerun knows both from PVE - its pending values, and the cloud-init values the drive was not made with.
  returned: unless absent
  type: bool
next_boot:
  description:
    - Cloud-init keys of the running VM that its guest has not read yet - PVE applied them to the config at
      once, but the guest reads its cloud-init drive only when it boots, and PVE makes the drive anew at the
      start. Changed by this run or an earlier one (PVE's GET .../cloudinit shows them until that start).
    - Empty when the VM was stopped or (re)started in the same run.
  returned: unless absent
  type: list
  elements: str
  sample: [ipconfig0, sshkeys]
config:
  description: The VM's config after the run (pending values included; the cloud-init password masked).
  returned: unless absent
  type: dict
plan:
  description: The ordered write actions made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["clone VM 9000 (debian-12-golden) to new VM web-01 on pve1", "set config of VM 101 (web-01): cores", "start VM 101 (web-01)"]
ip:
  description: The VM's first IP address (IPv4 preferred) from its guest agent; null when unknown.
  returned: with O(wait_for_agent=true) and the VM running
  type: str
  sample: 10.0.20.11
ip_addresses:
  description: All the VM's addresses from its guest agent (loopback and link-local left out).
  returned: with O(wait_for_agent=true) and the VM running
  type: list
  elements: str
stopped:
  description: How a running VM was stopped with O(state=stopped) or O(state=absent) - V(graceful) or V(forced)
    (null if it was not running).
  returned: when state is stopped or absent and the VM was running
  type: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._guestrun import GUEST_ARGSPEC
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._specbase import NIC_OPTIONS, SHARED_OPTIONS
from ansible_collections.iac.proxmox.plugins.module_utils._vm import converge_vm

DISK_OPTIONS = dict(
    slot=dict(type='str', required=True),
    storage=dict(type='str'),
    size=dict(type='str'),
    backup=dict(type='bool'),
    discard=dict(type='bool'),
    ssd=dict(type='bool'),
    iothread=dict(type='bool'),
    cache=dict(type='str', choices=['none', 'writethrough', 'writeback', 'unsafe', 'directsync']),
    format=dict(type='str', choices=['raw', 'qcow2', 'vmdk']),
    import_from=dict(type='str'),
    media=dict(type='str', choices=['disk', 'cdrom']),
    iso=dict(type='str'),
    aio=dict(type='str', choices=['native', 'threads', 'io_uring']),
    iops_rd=dict(type='int'),
    iops_wr=dict(type='int'),
    iops_rd_max=dict(type='int'),
    iops_wr_max=dict(type='int'),
    mbps_rd=dict(type='float'),
    mbps_wr=dict(type='float'),
    mbps_rd_max=dict(type='float'),
    mbps_wr_max=dict(type='float'),
    serial=dict(type='str'),
    wwn=dict(type='str'),
    ro=dict(type='bool'),
    replicate=dict(type='bool'),
    snapshot=dict(type='bool'),
    state=PRESENT_ABSENT,
)
EFIDISK_OPTIONS = dict(
    storage=dict(type='str'),
    efitype=dict(type='str', choices=['2m', '4m']),
    pre_enrolled_keys=dict(type='bool', no_log=False),
    state=PRESENT_ABSENT,
)
NET_OPTIONS = dict(
    NIC_OPTIONS,
    model=dict(type='str'),
    macaddr=dict(type='str'),
    ipconfig=dict(type='dict', options=dict(
        ip=dict(type='str'),
        gw=dict(type='str'),
        ip6=dict(type='str'),
        gw6=dict(type='str'),
        state=PRESENT_ABSENT,
    )),
    state=PRESENT_ABSENT,
)
CLOUDINIT_OPTIONS = dict(
    user=dict(type='str'),
    password=dict(type='str', no_log=True),
    update_password=dict(type='str', choices=['always', 'on_create'], default='on_create', no_log=False),
    ssh_keys=dict(type='list', elements='str', no_log=False),
    ipconfig=dict(type='list', elements='dict', options=dict(
        slot=dict(type='str'),
        ip=dict(type='str'),
        gw=dict(type='str'),
        ip6=dict(type='str'),
        gw6=dict(type='str'),
        state=PRESENT_ABSENT,
    )),
    nameserver=dict(type='list', elements='str'),
    searchdomain=dict(type='str'),
    storage=dict(type='str'),
    slot=dict(type='str', default='ide2'),
    custom=dict(type='dict', options=dict(
        user=dict(type='str'),
        network=dict(type='str'),
        meta=dict(type='str'),
        vendor=dict(type='str'),
    )),
    type=dict(type='str', choices=['nocloud', 'configdrive2', 'opennebula']),
    upgrade=dict(type='bool'),
)
SETTINGS = dict(
    cores=dict(type='int'),
    sockets=dict(type='int'),
    balloon=dict(type='int'),
    cpu=dict(type='raw'),
    vcpus=dict(type='int'),
    cpuunits=dict(type='int'),
    cpulimit=dict(type='float'),
    affinity=dict(type='str'),
    numa=dict(type='bool'),
    numa_nodes=dict(type='list', elements='dict', options=dict(
        slot=dict(type='str', required=True),
        cpus=dict(type='raw'),
        memory=dict(type='int'),
        hostnodes=dict(type='raw'),
        policy=dict(type='str', choices=['preferred', 'bind', 'interleave']),
        state=PRESENT_ABSENT,
    )),
    hotplug=dict(type='list', elements='str', choices=['network', 'disk', 'usb', 'memory', 'cpu', 'cloudinit']),
    hugepages=dict(type='str'),
    shares=dict(type='int'),
    tablet=dict(type='bool'),
    kvm=dict(type='bool'),
    acpi=dict(type='bool'),
    localtime=dict(type='bool'),
    keyboard=dict(type='str'),
    args=dict(type='str'),
    machine=dict(type='str'),
    bios=dict(type='str', choices=['seabios', 'ovmf']),
    ostype=dict(type='str', choices=['other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10',
                                     'win11', 'l24', 'l26', 'solaris']),
    agent=dict(type='raw'),
    boot=dict(type='raw'),
    scsihw=dict(type='str', choices=['lsi', 'lsi53c810', 'virtio-scsi-pci', 'virtio-scsi-single', 'megasas',
                                     'pvscsi']),
    vga=dict(type='str'),
    disks=dict(type='list', elements='dict', options=DISK_OPTIONS),
    efidisk=dict(type='dict', options=EFIDISK_OPTIONS),
    tpm=dict(type='raw'),
    nets=dict(type='list', elements='dict', options=NET_OPTIONS),
    cloudinit=dict(type='dict', options=CLOUDINIT_OPTIONS),
    usb=dict(type='list', elements='dict', options=dict(
        slot=dict(type='str', required=True),
        host=dict(type='str'),
        mapping=dict(type='str'),
        spice=dict(type='bool'),
        usb3=dict(type='bool'),
        state=PRESENT_ABSENT,
    )),
    serial=dict(type='list', elements='dict', options=dict(
        slot=dict(type='str', required=True),
        type=dict(type='str'),
        state=PRESENT_ABSENT,
    )),
    rng=dict(type='dict', options=dict(
        source=dict(type='str', choices=['/dev/urandom', '/dev/random', '/dev/hwrng']),
        max_bytes=dict(type='int'),
        period=dict(type='int'),
        state=PRESENT_ABSENT,
    )),
    watchdog=dict(type='dict', options=dict(
        model=dict(type='str', choices=['i6300esb', 'ib700']),
        action=dict(type='str', choices=['reset', 'shutdown', 'poweroff', 'pause', 'debug', 'none']),
        state=PRESENT_ABSENT,
    )),
    audio=dict(type='dict', options=dict(
        device=dict(type='str', choices=['ich9-intel-hda', 'intel-hda', 'AC97']),
        driver=dict(type='str', choices=['spice', 'none']),
        state=PRESENT_ABSENT,
    )),
    smbios=dict(type='dict', options=dict(
        manufacturer=dict(type='str'),
        product=dict(type='str'),
        version=dict(type='str'),
        serial=dict(type='str'),
        sku=dict(type='str'),
        family=dict(type='str'),
        uuid=dict(type='str'),
        state=PRESENT_ABSENT,
    )),
    wait_for_agent=dict(type='bool', default=False),
    agent_timeout=dict(type='int', default=300),
)


def main():
    spec = dict(GUEST_ARGSPEC)
    spec.update(SHARED_OPTIONS)
    spec.update(SETTINGS)
    module = PveModule(argument_spec=spec)
    module.call_or_fail(converge_vm)


if __name__ == '__main__':
    main()
