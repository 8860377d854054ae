#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_lxc
short_description: Manage Proxmox VE LXC containers, from template or clone to safe destroy
version_added: 0.1.0
description:
  - Creates a container from an OS template or by cloning, converges its settings, mount points and NICs,
    controls its power state and destroys it safely - on the same engine as M(iac.proxmox.pve_vm).
  - A container is found by O(vmid) or by O(name) (its hostname); names are treated as unique. A re-run never
    creates a second container.
  - Every option is compared with what PVE has, so a removal is seen - O(features) is compared as a whole (a
    feature the play does not list is turned off); only changed keys are written.
  - O(unprivileged), O(arch) and O(ostype) are chosen at creation; a different value for an existing container is
    an error, never a silent re-creation. O(password) and O(ssh_public_keys) are used when the container is created.
  - Mount points and NICs are lists of dicts with a C(slot); slots a play does not list are never touched. A
    removed volume mount point is kept as an C(unusedN) volume unless O(purge_volumes=true).
  - Idempotent; check mode sends no write request at all and returns the RV(plan); diff mode shows every
    changed key.
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
    description: Supported; before and after of every changed key.
    support: full
options:
  name:
    description: The container's hostname; identifies it when O(vmid) is not given (with O(vmid), renames it).
    type: str
  node:
    description: Node for a new container (default for a clone - the source's node).
    type: str
  ostemplate:
    description:
      - OS template volume of a new container, such as V(local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst).
        Checked to exist on the node before anything is written.
    type: str
  clone:
    description: Name or VMID of the container or template to clone a new container from.
    type: str
  full:
    description:
      - Full clone (independent copies of the source's volumes). V(false) makes a linked clone, which needs a
        template as the source.
      - PVE makes a linked clone of a container only of volumes on storage that can clone them (LVM-thin, ZFS,
        Ceph RBD, BTRFS). From a template with a volume on dir, NFS, CIFS, GlusterFS, CephFS or LVM (thick) storage
        V(false) is refused before any write, naming the volumes, in check mode too (PVE refuses it too); clone
        such a template with V(true). The module reads the template node's storage list once for this check.
    type: bool
    default: true
  storage:
    description: Target storage of a full clone's volumes, and the default storage of a new container's rootfs.
    type: str
  state:
    description:
      - As for M(iac.proxmox.pve_vm) - V(present) leaves the power state alone; V(started), V(stopped),
        V(restarted) wait for the state; V(template) converts; V(absent) destroys safely (protected containers
        are refused, a running one is shut down gracefully up to O(shutdown_timeout), then stopped, then
        destroyed with its volumes, and the task waits until it is gone).
    type: str
    choices: [present, started, stopped, restarted, absent, template]
    default: present
  unprivileged:
    description:
      - Run as an unprivileged container. Create-time only; a new container is unprivileged unless this is
        V(false).
      - A clone keeps its source's value (PVE cannot change it afterwards); a play asking another value than
        the clone source or the existing container has fails before anything is written.
    type: bool
  features:
    description:
      - Container features, compared as a whole - C(nesting), C(keyctl), C(fuse), C(mknod), C(force_rw_sys)
        (booleans) and C(mount) (a list of file system types). V({}) turns all off.
    type: dict
  cores:
    description: CPU cores the container may use.
    type: int
  cpulimit:
    description: CPU time limit in cores (V(0) is no limit).
    type: float
  cpuunits:
    description: CPU weight, V(0) to V(10000) (PVE stores any larger weight as V(10000) on cgroup v2).
    type: int
  swap:
    description: Swap in MiB.
    type: int
  rootfs:
    description:
      - The root volume - C(storage) (at creation; default O(storage)) and C(size) (grows only).
    type: dict
    suboptions:
      storage:
        description: Storage of a new container's root volume.
        type: str
      size:
        description: Size, for example V(8G).
        type: str
  mounts:
    description:
      - Mount points by slot. A new one needs C(path) and one of C(storage) with C(size) (a new volume),
        C(volume) (an existing volume) or C(host_path) (a bind mount; PVE allows those only to root@pam).
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(mp0)-V(mp255).
        type: str
        required: true
      storage:
        description: Storage of a new volume.
        type: str
      volume:
        description: An existing volume to mount.
        type: str
      host_path:
        description: A host directory to bind-mount.
        type: str
      size:
        description: Size of a volume (grows only).
        type: str
      path:
        description: Absolute path in the container.
        type: str
      backup:
        description: Include the volume in backups.
        type: bool
      ro:
        description: Mount read-only.
        type: bool
      state:
        description: V(absent) removes the mount point (a volume stays as C(unusedN) unless O(purge_volumes)).
        type: str
        choices: [present, absent]
        default: present
  nets:
    description:
      - Network devices by slot. A new one needs C(bridge); its C(name) defaults to V(ethN) for V(netN). An
        existing MAC address is kept unless C(hwaddr) is given.
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(net0)-V(net31).
        type: str
        required: true
      name:
        description: Interface name in the container.
        type: str
      bridge:
        description: Bridge, for example V(vmbr0).
        type: str
      ip:
        description: V(dhcp), V(manual) or an IPv4 address with prefix length.
        type: str
      gw:
        description: IPv4 gateway (needs a static O(nets[].ip)).
        type: str
      ip6:
        description: V(dhcp), V(auto), V(manual) or an IPv6 address with prefix length.
        type: str
      gw6:
        description: IPv6 gateway.
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
        description: MTU.
        type: int
      rate:
        description: Rate limit in MB/s.
        type: float
      hwaddr:
        description: MAC address.
        type: str
      state:
        description: V(absent) removes the NIC.
        type: str
        choices: [present, absent]
        default: present
  nameserver:
    description: >-
      DNS servers for the container, kept in this order (the order resolvers try them); another order is a change.
    type: list
    elements: str
  searchdomain:
    description: DNS search domain(s).
    type: str
  ssh_public_keys:
    description: SSH public keys for root, installed when the container is created.
    type: list
    elements: str
  password:
    description: Root password, set when the container is created. Never shown.
    type: str
  devices:
    description:
      - Host device nodes passed through to the container (PVE 8.1 and later), by slot. Slots the play does not
        list are never touched; options an entry leaves out keep their current values.
      - PVE lets only root@pam logged in with a password configure them (API tokens, even root@pam's, are
        refused); with another login the task fails before anything is written. PVE checks that the path is
        a block or character device on the node.
      - A running container takes a new device at once; a changed or removed one waits for a restart (RV(pending)).
    type: list
    elements: dict
    suboptions:
      slot:
        description: V(dev0)-V(dev255).
        type: str
        required: true
      path:
        description: The device node on the host, such as V(/dev/ttyUSB0) (an absolute path under C(/dev/)).
        type: str
      mode:
        description: Access mode of the device node in the container, octal with a leading 0, such as V("0660")
          (quote it, or YAML reads it as a number).
        type: str
      uid:
        description: Owner (user ID) of the device node in the container.
        type: int
      gid:
        description: Group ID of the device node in the container.
        type: int
      deny_write:
        description: Deny the container writing to the device.
        type: bool
      state:
        description: V(absent) removes the device.
        type: str
        choices: [present, absent]
        default: present
  cmode:
    description:
      - Console mode - V(tty) opens one of the container's ttys (PVE's default), V(console) attaches to
        C(/dev/console), V(shell) runs a shell without login. Takes effect at the next start of a running container.
    type: str
    choices: [tty, console, shell]
  console:
    description: Attach a console device (C(/dev/console)) to the container (PVE's default V(true)).
    type: bool
  tty:
    description: Number of ttys the container gets, V(0) to V(6) (PVE's default V(2)).
    type: int
  timezone:
    description:
      - Time zone of the container - V(host) (the node's), V(UTC), or a name of C(/usr/share/zoneinfo/zone.tab)
        such as V(Europe/Berlin) (PVE refuses names not in that list, such as V(CET) or V(US/Eastern)). Without
        it, PVE leaves the container's time zone alone.
    type: str
  arch:
    description:
      - OS architecture of a new container (PVE detects it from the template when it is not given). Create-time
        only here - a different value for an existing container fails before anything is written.
    type: str
    choices: [amd64, i386, arm64, armhf, riscv32, riscv64]
  ostype:
    description:
      - OS type of a new container. PVE detects the OS in the template and stores what it finds, except for
        V(unmanaged), which it keeps (no OS-specific setup); give the type the template has, or V(unmanaged).
      - Create-time only here - a different value for an existing container fails before anything is written.
    type: str
    choices: [debian, devuan, ubuntu, centos, fedora, opensuse, archlinux, alpine, gentoo, nixos, unmanaged]
  purge_volumes:
    description: Also delete the volumes of mount points removed with C(state=absent).
    type: bool
    default: false
  apply_pending:
    description: V(reboot) restarts a running container to apply pending changes; V(never) only reports them.
    type: str
    choices: [never, reboot]
    default: never
  lock_timeout:
    description: Seconds to wait for a lock held by another operation (backup, clone, migrate).
    type: int
    default: 60
  timeout:
    description:
      - Seconds to wait for a task (create, clone, start, resize).
      - Also how long a config write that allocates new mount point volumes may take to answer, instead of
        O(api_timeout) - PVE allocates them within the request, with no task, so a slow storage delays the
        answer. Should no answer come, the config is read again and the write is settled from it.
    type: int
    default: 600
notes:
  - Privileges - C(VM.Audit) to read; C(VM.Allocate) (and C(Datastore.AllocateTemplate)/C(Datastore.Audit) on the
    template's storage) to create; C(VM.Clone) to clone; C(VM.Config.*) for settings; C(Datastore.AllocateSpace)
    for volumes; C(VM.PowerMgmt) for power. Bind mounts, device passthrough (O(devices)) and privileged containers
    need root@pam.
seealso:
  - module: iac.proxmox.pve_vm
'''

EXAMPLES = r'''
- name: A small web container from the Debian template, started
  iac.proxmox.pve_lxc:
    name: web-ct-01
    node: pve1
    ostemplate: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
    rootfs: {storage: local-lvm, size: 8G}
    features: {nesting: true}
    cores: 2
    memory: 1G
    nets:
      - slot: net0
        bridge: vmbr0
        ip: 10.0.30.11/24
        gw: 10.0.30.1
    mounts:
      - slot: mp0
        storage: local-lvm
        size: 16G
        path: /srv/data
        backup: true
    ssh_public_keys: ["{{ lookup('file', '~/.ssh/id_ed25519.pub') }}"]
    state: started

- name: Start it second, 30 seconds before the next, with a hookscript
  iac.proxmox.pve_lxc:
    name: web-ct-01
    startup: {order: 2, up: 30}
    hookscript: local:snippets/hook.pl
- name: An Alpine container with its own time zone, a console shell and one tty
  iac.proxmox.pve_lxc:
    name: tools-ct-01
    node: pve1
    ostemplate: local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz
    rootfs: {storage: local-lvm, size: 2G}
    arch: amd64
    ostype: alpine
    timezone: Europe/Berlin
    cmode: shell
    console: true
    tty: 1

- name: Pass a USB serial adapter and the GPU's render node through (login as root@pam with a password)
  iac.proxmox.pve_lxc:
    name: tools-ct-01
    devices:
      - slot: dev0
        path: /dev/ttyUSB0
        mode: "0660"
        gid: 20
      - slot: dev1
        path: /dev/dri/renderD128
        uid: 0
        gid: 104
        deny_write: false

- name: Remove the render node again
  iac.proxmox.pve_lxc:
    name: tools-ct-01
    devices:
      - {slot: dev1, state: absent}
'''

RETURN = r'''
vmid:
  description: The container's ID (null in check mode for one that would be created).
  returned: always
  type: int
node:
  description: The node the container is on.
  returned: always
  type: str
name:
  description: The container's hostname.
  returned: always
  type: str
status:
  description: The power state after the run, or V(absent).
  returned: always
  type: str
template:
  description: Whether the container is a template.
  returned: unless absent
  type: bool
changed_keys:
  description: The config keys (and volumes resized) that changed.
  returned: unless absent
  type: list
  elements: str
pending:
  description: Config keys whose change waits for a restart of the running container.
  returned: unless absent
  type: list
  elements: str
reboot_required:
  description: Whether changes are pending until a restart.
  returned: unless absent
  type: bool
config:
  description: The container's config after the run.
  returned: unless absent
  type: dict
plan:
  description: The ordered write actions made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
stopped:
  description: How a running container was stopped with O(state=stopped) or O(state=absent) - V(graceful) or V(forced)
    (null if it was not running).
  returned: when state is stopped or absent and the container was running
  type: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._guestrun import GUEST_ARGSPEC
from ansible_collections.iac.proxmox.plugins.module_utils._lxc import converge_container
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._specbase import NIC_OPTIONS, SHARED_OPTIONS

MOUNT_OPTIONS = dict(
    slot=dict(type='str', required=True),
    storage=dict(type='str'),
    volume=dict(type='str'),
    host_path=dict(type='str'),
    size=dict(type='str'),
    path=dict(type='str'),
    backup=dict(type='bool'),
    ro=dict(type='bool'),
    state=PRESENT_ABSENT,
)
NET_OPTIONS = dict(
    NIC_OPTIONS,
    name=dict(type='str'),
    ip=dict(type='str'),
    gw=dict(type='str'),
    ip6=dict(type='str'),
    gw6=dict(type='str'),
    hwaddr=dict(type='str'),
    state=PRESENT_ABSENT,
)
DEVICE_OPTIONS = dict(
    slot=dict(type='str', required=True),
    path=dict(type='str'),
    mode=dict(type='str'),
    uid=dict(type='int'),
    gid=dict(type='int'),
    deny_write=dict(type='bool'),
    state=PRESENT_ABSENT,
)

SETTINGS = dict(
    ostemplate=dict(type='str'),
    unprivileged=dict(type='bool'),
    features=dict(type='dict'),
    cores=dict(type='int'),
    cpulimit=dict(type='float'),
    cpuunits=dict(type='int'),
    swap=dict(type='int'),
    rootfs=dict(type='dict', options=dict(storage=dict(type='str'), size=dict(type='str'))),
    mounts=dict(type='list', elements='dict', options=MOUNT_OPTIONS),
    nets=dict(type='list', elements='dict', options=NET_OPTIONS),
    nameserver=dict(type='list', elements='str'),
    searchdomain=dict(type='str'),
    ssh_public_keys=dict(type='list', elements='str', no_log=False),
    password=dict(type='str', no_log=True),
    devices=dict(type='list', elements='dict', options=DEVICE_OPTIONS),
    cmode=dict(type='str', choices=['tty', 'console', 'shell']),
    console=dict(type='bool'),
    tty=dict(type='int'),
    timezone=dict(type='str'),
    arch=dict(type='str', choices=['amd64', 'i386', 'arm64', 'armhf', 'riscv32', 'riscv64']),
    ostype=dict(type='str', choices=['debian', 'devuan', 'ubuntu', 'centos', 'fedora', 'opensuse', 'archlinux',
                                     'alpine', 'gentoo', 'nixos', 'unmanaged']),
)


def main():
    spec = dict(GUEST_ARGSPEC)
    spec.update(SHARED_OPTIONS)
    spec.update(SETTINGS)
    module = PveModule(argument_spec=spec, mutually_exclusive=[('ostemplate', 'clone')])
    module.call_or_fail(converge_container)


if __name__ == '__main__':
    main()
