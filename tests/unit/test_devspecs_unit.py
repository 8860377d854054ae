"""The device-spec layer (_specbase, _dev_*): what VMs and containers share, written once, and how a new device
kind plugs into a guest spec."""

import re

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._dev_cloudinit import CLOUDINIT, mask_secrets
from ansible_collections.iac.proxmox.plugins.module_utils._dev_disk import DISKS
from ansible_collections.iac.proxmox.plugins.module_utils._dev_mount import MOUNTS
from ansible_collections.iac.proxmox.plugins.module_utils._dev_net import LXC_NETS, NET_SLOT, QEMU_NETS
from ansible_collections.iac.proxmox.plugins.module_utils._diff import DiffError, Field, as_str, compare
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._lxcspec import CtSpec
from ansible_collections.iac.proxmox.plugins.module_utils._plan import ConfigPlan
from ansible_collections.iac.proxmox.plugins.module_utils._specbase import (
    SHARED_FIELDS, DeviceSpec, GuestSpec, check_searchdomain, clone_config, plan_grow)
from ansible_collections.iac.proxmox.plugins.module_utils._vmspec import VmSpec


def test_grow_only_is_one_function_for_disks_and_volumes():
    plan = ConfigPlan(lambda key: Field())
    plan_grow(plan, 'scsi0', 'disks[0]', '32G', 64 * 1024 ** 3, 'disks')
    assert plan.resizes == [('scsi0', 64 * 1024 ** 3, 32 * 1024 ** 3)]
    plan_grow(plan, 'mp0', 'mounts[0]', '8G', 8 * 1024 ** 3, 'volumes')  # the same size: nothing to do
    assert len(plan.resizes) == 1
    with pytest.raises(DiffError) as err:
        plan_grow(plan, 'rootfs', 'rootfs', '8G', 4 * 1024 ** 3, 'volumes')
    assert err.value.key == 'rootfs'
    assert err.value.message == 'rootfs: volumes can only grow: rootfs is 8G, the play asks for 4G'


def test_vm_and_container_share_slots_fields_and_checks():
    assert QEMU_NETS.slot is LXC_NETS.slot is NET_SLOT
    for key in SHARED_FIELDS:
        assert VmSpec.static_field(key) is CtSpec.static_field(key)
    assert VmSpec.static_field('searchdomain') is CtSpec.static_field('searchdomain')
    with pytest.raises(ValidationError) as err:
        check_searchdomain('searchdomain', 'bad,domain')
    assert err.value.option == 'searchdomain'


def test_devices_own_their_keys():
    assert VmSpec.static_field('scsi3') is DISKS.field
    assert VmSpec.static_field('ipconfig2') is CLOUDINIT.field
    assert CtSpec.static_field('mp200') is MOUNTS.field
    assert VmSpec.static_field('net0') is QEMU_NETS.field and CtSpec.static_field('net0') is LXC_NETS.field
    assert 'mpN' in MOUNTS.keys() and {'scsiN', 'virtioN', 'sataN', 'ideN'} <= set(DISKS.keys())


def test_secrets_are_masked_in_one_place():
    assert mask_secrets({'cipassword': '$5$x', 'ciuser': 'ops'}) == {'cipassword': '********', 'ciuser': 'ops'}
    assert mask_secrets({'ciuser': 'ops'}) == {'ciuser': 'ops'}


def test_clone_preview_skips_the_same_keys_for_both_kinds():
    source = {'template': 1, 'digest': 'x', 'lock': 'clone', 'unused0': 'local:1', 'memory': '512'}
    assert clone_config(source, (), None) == {'memory': '512'}


class SerialSpec(DeviceSpec):
    """A device kind as issue 15 adds them: one small class, listed in a guest spec's DEVICES."""

    option = 'serials'
    slot = re.compile(r'^serial[0-3]$')
    slot_help = 'a serial port slot (serial0-serial3)'
    field = Field(as_str)

    def plan(self, entry, current, plan, ctx):
        plan.want(entry['slot'], entry.get('type') or 'socket')


class WithSerials(VmSpec):
    DEVICES = VmSpec.DEVICES + (SerialSpec(),)


def test_a_new_device_kind_is_one_class():
    params = dict.fromkeys(('name', 'cores', 'sockets', 'memory', 'balloon', 'cpu', 'machine', 'bios', 'ostype', 'agent',
                            'tags', 'description', 'onboot', 'protection', 'boot', 'scsihw', 'vga', 'disks', 'efidisk',
                            'tpm', 'nets', 'cloudinit'))
    params['serials'] = [{'slot': 'serial0'}]
    plan = WithSerials.from_params(params).plan({}, creating=True)
    assert compare(plan.desired, {}, plan.fields()).set == {'serial0': 'socket'}
    with pytest.raises(ValidationError) as err:
        WithSerials.from_params(dict(params, serials=[{'slot': 'serial9'}]))
    assert err.value.option == 'serials[0].slot'
    assert issubclass(WithSerials, GuestSpec)
