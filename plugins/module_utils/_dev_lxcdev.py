# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's device passthrough (`devices`: dev0-dev255, PVE 8.1+). Private to the collection.

`devN: [[path=]<Path>][,deny-write=<1|0>][,gid=<integer>][,mode=<Octal access mode>][,uid=<integer>]`
(pve-container src/PVE/LXC/Config.pm $dev_desc, verify_lxc_dev_string): the path starts with /dev/ and has no
`.` or `..` part; PVE checks on the node that it is a block or character device, and lets only root@pam
logged in with a password configure one (check_ct_modify_config_perm). A running container takes a new
device at once; a changed or removed one waits for a restart (vmconfig_hotplug_pending).
Options the play leaves out of an existing device keep their values.
"""

from __future__ import annotations

import re

from ._diff import Field, as_bool, as_int, props_normalizer
from ._errors import ValidationError
from ._propstring import PropFormat
from ._regex import regex
from ._specbase import DeviceSpec, without_none

LXC_DEV = PropFormat('lxc-dev', default_key='path')
DEV_SLOT = regex(r'^dev(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$')
DEV_FIELD = Field(props_normalizer(LXC_DEV, {'deny-write': as_bool, 'uid': as_int, 'gid': as_int},
                                   defaults={'deny-write': 0}))
DEV_PATH = regex(r'^/dev/[^,=\s]+$')
MODE = regex(r'^0[0-7]{3}$')


def check_device_path(option, path):
    """pve-container verify_lxc_dev_string: under /dev/, no `.`/`..` part (and nothing a property string
    cannot hold)."""
    if not isinstance(path, str) or not DEV_PATH.match(path) or re.search(r'/\.\.?(?:/|$)', path):
        raise ValidationError(option, path, 'is not a valid device path (an absolute path under /dev/ without '
                                            '"." or ".." parts, such as /dev/ttyUSB0)')
    return path


class DevSpec(DeviceSpec):
    """`devices`: host device nodes passed through to the container, by slot."""

    option = 'devices'
    slot = DEV_SLOT
    slot_help = 'a device slot (dev0-dev255)'
    field = DEV_FIELD

    def normalize(self, entry, option, params):
        device = dict(entry, option=option)
        if entry.get('state', 'present') != 'present':
            return device
        if entry.get('path') is not None:
            check_device_path(option + '.path', entry['path'])
        if entry.get('mode') is not None:
            mode = str(entry['mode'])
            if not MODE.match(mode):
                raise ValidationError(option + '.mode', entry['mode'], 'is not an octal access mode with a leading 0, '
                                                                       'such as "0660" (quote it in YAML)')
        for key in ('uid', 'gid'):
            if entry.get(key) is not None and entry[key] < 0:
                raise ValidationError(option + '.' + key, entry[key], 'must be 0 or more')
        return device

    def plan(self, entry, current, plan, ctx):
        slot = entry['slot']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.detach(slot)
            return
        if value is None and not entry.get('path'):
            raise ValidationError(entry['option'] + '.path', None, 'a new device needs the path of the device node '
                                                                   'on the node, such as /dev/ttyUSB0')
        merged = LXC_DEV.parse(value) if value is not None else {}
        if entry.get('path'):
            merged['path'] = entry['path']
        if entry.get('mode') is not None:
            merged['mode'] = str(entry['mode'])
        for key in ('uid', 'gid'):
            if entry.get(key) is not None:
                merged[key] = str(entry[key])
        if entry.get('deny_write') is not None:
            merged['deny-write'] = '1' if entry['deny_write'] else None
        plan.want(slot, LXC_DEV.format(without_none(merged)))


DEVICES = DevSpec()
