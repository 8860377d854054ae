"""Guest endpoints where fakepve's order of checks or timing differs from PVE's.

* Permissions come before the guest is looked up: PVE's HTTP server checks an endpoint's `permissions`
  (`['perm', '/vms/{vmid}', [...]]`) before its handler runs (pve-manager PVE/HTTPServer.pm rest_handler,
  check_api2_permissions; pve-access-control src/PVE/RPCEnvironment.pm check). So a user without a
  privilege on /vms/<vmid> gets 403 `Permission check failed (/vms/<vmid>, VM.Audit)` for a VMID that
  does not exist, never the handler's "Configuration file ... does not exist". fakepve's QEMU handlers look
  the VM up first.
* An LXC config PUT that allocates a new mount point volume (`mpN: STORAGE:SIZE`) does the allocation in
  the API request itself, not in a worker task (pve-container src/PVE/API2/LXC/Config.pm update_vm, which
  calls PVE::LXC::Config->update_pct_config and vmconfig_apply_pending -> create_disks synchronously): a
  slow storage makes the request itself slow. `mount_alloc_secs` PVE seconds (scaled by time_scale, like
  task_secs) are spent per new volume before the answer.
"""

import re

from fakepve import schema as pve_schema
from fakepve.lxc import NEW_DISK, parse_mount
from fakepve.server import USER

MOUNT_SLOT = re.compile(r'^mp\d+$')


class GuestChecks(object):
    """Mixin for the lab's FakePve."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # PVE seconds an LXC config PUT spends allocating each new mount point volume.
        self.mount_alloc_secs = 0

    def _vm(self, request, priv=None):
        if priv:
            vmid, err = pve_schema.check_value({'type': 'integer', 'format': 'pve-vmid', 'minimum': 100},
                                               request.match_info['vmid'])
            if not err:
                self.require(request[USER], '/vms/{0}'.format(vmid), priv)
        return super()._vm(request, priv)

    async def _update_config(self, ct, user, values, deletes, reverts):
        new = [k for k, v in values.items() if MOUNT_SLOT.match(k) and NEW_DISK.match(
            parse_mount(v).get('volume', ''))]
        if new and self.mount_alloc_secs:
            await self.pause(self.mount_alloc_secs * len(new))
        return await super()._update_config(ct, user, values, deletes, reverts)
