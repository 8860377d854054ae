# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's cloud-init settings (`cloudinit`: ciuser, cipassword, sshkeys, nameserver, searchdomain, ipconfigN)
and its cloud-init drive. Private to the collection.

PVE never shows cipassword (GET config answers a mask), so it is written when the VM is created, when the
VM has none, or with `update_password: always`; `mask_secrets` is the one place configs lose it before they
are shown. A VM without a cloud-init drive gets one on `cloudinit.storage` when a setting is written.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from ._checks import check_nameservers, check_storage
from ._diff import ABSENT, MASK, Field, as_str, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE, IPCONFIG
from ._dev_disk import DISK_SLOT, is_cdrom
from ._specbase import DNS_FIELDS, DeviceSpec, check_addresses, check_searchdomain

IPCONFIG_SLOT = re.compile(r'^(?:ipconfig)?([0-9]|[12][0-9]|3[01])$')
IPCONFIG_KEY = re.compile(r'^ipconfig(?:[0-9]|[12][0-9]|3[01])$')
# encodeURIComponent's safe set: what PVE's `urlencoded` format (sshkeys) allows unescaped.
URL_SAFE = "-_.!~*'()"
SSH_KEY = re.compile(r'^(?:ssh-|ecdsa-|sk-)\S+\s+\S+')
USER = re.compile(r'^[a-z_][a-z0-9_-]*$')


def as_sshkeys(value):
    """SSH public keys as an order-free set of lines (PVE keeps them URL-encoded)."""
    if isinstance(value, (list, tuple)):
        lines = value
    else:
        lines = unquote(str(value)).splitlines()
    return frozenset(' '.join(str(line).split()) for line in lines if str(line).strip())


def encode_sshkeys(keys):
    return quote('\n'.join(keys) + '\n', safe=URL_SAFE)


FIELDS = {
    'ciuser': Field(as_str),
    'cipassword': Field(as_str, secret=True),
    'sshkeys': Field(as_sshkeys, render=lambda v: encode_sshkeys(sorted(as_sshkeys(v)))),
}
FIELDS.update(DNS_FIELDS)
IPCONFIG_FIELD = Field(props_normalizer(IPCONFIG))
# The options that are plain keys: option -> PVE key.
PLAIN = (('user', 'ciuser'), ('ssh_keys', 'sshkeys'), ('nameserver', 'nameserver'), ('searchdomain', 'searchdomain'))


def mask_secrets(config):
    """A config as it may be shown: secret keys (cipassword) masked."""
    for key, field in FIELDS.items():
        if field.secret and key in config:
            config[key] = MASK
    return config


def cloudinit_slot(config):
    """The slot holding the cloud-init drive, or None."""
    for key, value in sorted(config.items()):
        if DISK_SLOT.match(key) and 'cloudinit' in DRIVE.parse(value).get('file', ''):
            return key
    return None


def ipconfig_slot(item, index):
    given = item['slot'] if item.get('slot') is not None else index
    found = IPCONFIG_SLOT.match(str(given))
    return 'ipconfig{0}'.format(found.group(1)) if found else None


def merged_ipconfig(item, value):
    """PVE replaces the whole value: merge like NICs, keeping the keys the play does not name. A gateway goes
    with a static address only: PVE's generated netplan (Cloudinit.pm) would still set a stale gw next to
    ip=dhcp, so switching to DHCP drops it unless the play names one."""
    merged = IPCONFIG.parse(value) if value else {}
    merged.update((k, item[k]) for k in ('ip', 'gw', 'ip6', 'gw6') if item.get(k) is not None)
    if item.get('ip') == 'dhcp' and item.get('gw') is None:
        merged.pop('gw', None)
    if item.get('ip6') in ('dhcp', 'auto') and item.get('gw6') is None:
        merged.pop('gw6', None)
    return IPCONFIG.format(merged)


class CloudInitSpec(DeviceSpec):
    """`cloudinit`: one dict of settings, and the drive they are written to."""

    option = 'cloudinit'
    many = False
    fields = FIELDS
    slot = IPCONFIG_KEY
    field = IPCONFIG_FIELD

    def normalize(self, entry, option, params):
        ci = dict(entry)
        for index, item in enumerate(ci.get('ipconfig') or []):
            item_option = 'cloudinit.ipconfig[{0}]'.format(index)
            if ipconfig_slot(item, index) is None:
                raise ValidationError(item_option + '.slot', item['slot'] if item.get('slot') is not None else index,
                                      'is not an ipconfig slot (0-31 or ipconfig0-31)')
            check_addresses(item_option, item, gw_needs_ip=True)
        check_nameservers('cloudinit.nameserver', ci.get('nameserver'))
        for index, key in enumerate(ci.get('ssh_keys') or []):
            if not SSH_KEY.match(str(key).strip()):
                raise ValidationError('cloudinit.ssh_keys[{0}]'.format(index), key, 'is not an OpenSSH public key')
        check_searchdomain('cloudinit.searchdomain', ci.get('searchdomain'))
        if ci.get('user') is not None and not USER.match(ci['user']):
            raise ValidationError('cloudinit.user', ci['user'], 'is not a user name')
        check_storage('cloudinit.storage', ci.get('storage'))
        return ci

    def plan(self, entry, current, plan, ctx):
        keys = []
        for name, key in PLAIN:
            if entry.get(name) is not None:
                value = entry[name]
                plan.want(key, list(value) if isinstance(value, (list, tuple)) else value)
                keys.append(key)
        if entry.get('password') is not None:
            if ctx.creating or entry.get('update_password') == 'always' or 'cipassword' not in current:
                plan.want('cipassword', entry['password'])
                keys.append('cipassword')
        for index, item in enumerate(entry.get('ipconfig') or []):
            slot = ipconfig_slot(item, index)
            if item.get('state') == 'absent':
                plan.want(slot, ABSENT)
            else:
                plan.want(slot, merged_ipconfig(item, current.get(slot)))
            keys.append(slot)
        plan.cloudinit_keys = keys
        if keys and cloudinit_slot(current) is None:
            self.plan_drive(entry, current, plan)

    @staticmethod
    def plan_drive(entry, current, plan):
        if not entry.get('storage'):
            raise ValidationError('cloudinit.storage', None, 'the VM has no cloud-init drive: give the storage to '
                                                             'create one on')
        slot = entry.get('slot') or 'ide2'
        if current.get(slot) is not None and not is_cdrom(current[slot]):
            raise ValidationError('cloudinit.slot', slot, 'is taken by a disk')
        plan.want(slot, DRIVE.format({'file': '{0}:cloudinit'.format(entry['storage']), 'media': 'cdrom'}))
        plan.add_volume(slot, entry['storage'], 'cloudinit.storage')


CLOUDINIT = CloudInitSpec()
