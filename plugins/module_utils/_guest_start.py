# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster checks of settings VMs and containers share (`hookscript`) and of keys only root@pam may write,
run before any write. Private to the collection.

A hookscript must be a file in a storage's snippets directory (pve-guest-common src/PVE/GuestHelpers.pm
check_hookscript; PVE checks it on a config update, not when a VM is created, and the start fails later).
"""

from __future__ import annotations

from ._diff import compare
from ._errors import ValidationError
from ._propstring import split_volume_id

ROOT_ONLY = ('PVE lets only root@pam logged in with a password set it; API tokens (even root@pam!...) and other '
             'users are refused (PVE: {0})')


def changed_keys(current, plan, keys):
    """Which of keys the plan sets or removes."""
    wanted = dict((k, v) for k, v in plan.desired.items() if k in keys)
    if not wanted:
        return []
    delta = compare(wanted, current, dict((k, plan.field_for(k)) for k in wanted), creating=not current)
    return sorted(set(delta.set) | set(delta.delete))


def check_root_only(client, params, current, plan, reasons):
    """reasons: PVE key -> PVE's refusal for anyone but root@pam. Refused here, naming the option, when the
    login is not root@pam with a password and the plan changes such a key."""
    if client.root_login:
        return
    for key in changed_keys(current, plan, reasons):
        raise ValidationError(key, params.get(key), ROOT_ONLY.format(reasons[key]))


def check_hookscript(run, node, current, plan):
    """The hookscript the plan sets exists on the node: a storage of the node with `snippets` content holding
    the file (its content listing)."""
    if 'hookscript' not in changed_keys(current, plan, ('hookscript',)):
        return
    volid = plan.desired['hookscript']
    if not isinstance(volid, str):
        return  # removed
    storage = split_volume_id(volid)[0]
    info = run.node_storages(node).get(storage)
    if info is None:
        raise ValidationError('hookscript', volid, 'storage {0} is not a storage of node {1}'.format(storage, node))
    content = [c for c in str(info.get('content') or '').split(',') if c]
    if 'snippets' not in content:
        raise ValidationError('hookscript', volid, "storage {0} does not hold snippets (its content: {1}); add "
                                                   "'snippets' to its content with pve_storage".format(
                                                       storage, ', '.join(content) or 'none'))
    from ._content import read_file  # here: only a play that changes the hookscript pays for importing it
    if read_file(run.client, node, storage, 'snippets', volid) is None:
        raise ValidationError('hookscript', volid, 'no such snippet on node {0} (PVE: script \'{1}\' does not '
                                                   'exist)'.format(node, volid))
