"""Linked clones of containers, allowed only where pve-storage's plugin has the feature.

pve-container src/PVE/API2/LXC.pm clone_vm asks, for each rootfs/mpN volume of a linked clone (in sorted key
order, after the storage and permission checks of that volume),
`PVE::Storage::volume_has_feature($storecfg, 'clone', $volid, $snapname, $running,
{ 'valid_target_formats' => ['raw', 'subvol'] })` and dies `Linked clone feature for '<volid>' is not
available`. pve-storage src/PVE/Storage/Plugin.pm volume_has_feature answers 0 for a clone whose valid target
formats lack qcow2 (its clone_image makes a qcow2 volume), and the file-based plugins (DirPlugin, NFSPlugin,
CIFSPlugin, GlusterfsPlugin, CephFSPlugin) inherit it; LVMPlugin (thick) has no clone feature at all, nor have
the iSCSI, PBS and ESXi plugins. LvmThinPlugin, ZFSPoolPlugin, ZFSPlugin and RBDPlugin clone a base volume
(`clone => { base => 1, ... }`), as BTRFSPlugin does; there fakepve's own test (a base volume) stays. With
`snapname` the plugins look the feature up under `snap`: LvmThinPlugin and RBDPlugin have it (`snap => 1`, so a
container's snapshot is cloned linked whether or not it is a template), ZFSPoolPlugin and ZFSPlugin do not.

fakepve's _lxc_clone makes that test through its module-level `os_base(volume)`, which sees the volume name
only. The lab replaces that function once with `linked_clone_feature`, which adds the storage type; the
storages (and snapname) it reads are the current clone request's, held in a context variable that only
LinkedCloneFeature._lxc_clone sets (per asyncio task, so concurrent requests and other FakePve instances
are unaffected: with no clone request of a lab under way, fakepve's own test answers).
"""

import contextvars

from fakepve import lxc as fake_lxc

# Storage types whose plugin never has the linked clone feature for a container's raw/subvol volumes.
NO_LINKED_CLONE = frozenset(('dir', 'nfs', 'cifs', 'glusterfs', 'cephfs', 'lvm', 'iscsi', 'iscsidirect', 'pbs',
                             'esxi'))

# With snapname: whether the plugin has the clone feature for a snapshot (`snap`).
SNAP_LINKED_CLONE = {'lvmthin': True, 'rbd': True, 'zfspool': False, 'zfs': False}

# (storages, snapname) of the container clone request under way in this asyncio task.
_CLONE_REQUEST = contextvars.ContextVar('pvelab_clone_request', default=None)
_FAKEPVE_OS_BASE = getattr(fake_lxc.os_base, 'fakepve_os_base', fake_lxc.os_base)


def linked_clone_feature(volume):
    """volume_has_feature('clone', volume, snapname) with valid_target_formats raw/subvol: never on the storage
    types above, by the plugin's `snap` entry with a snapname, else fakepve's test (a template's base volume)."""
    request = _CLONE_REQUEST.get()
    if request is not None:
        storages, snapname = request
        kind = (storages.get(volume.split(':', 1)[0]) or {}).get('type')
        if kind in NO_LINKED_CLONE:
            return False
        if snapname and kind in SNAP_LINKED_CLONE:
            return SNAP_LINKED_CLONE[kind]
    return _FAKEPVE_OS_BASE(volume)


linked_clone_feature.fakepve_os_base = _FAKEPVE_OS_BASE
fake_lxc.os_base = linked_clone_feature


class LinkedCloneFeature(object):
    """Mixin for the lab's FakePve: a container clone request judges linked clones by storage type."""

    async def _lxc_clone(self, user, v):
        token = _CLONE_REQUEST.set((self.storages, v.get('snapname')))
        try:
            return await super()._lxc_clone(user, v)
        finally:
            _CLONE_REQUEST.reset(token)
