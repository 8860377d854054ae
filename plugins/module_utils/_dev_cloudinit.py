# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's cloud-init settings (`cloudinit`: ciuser, cipassword, sshkeys, nameserver, searchdomain, ipconfigN,
cicustom, citype, ciupgrade; and the `ipconfig` of each NIC in `nets`) and its cloud-init drive. Private to the
collection.

PVE never shows cipassword (GET config answers a mask), so it is written when the VM is created, when the
VM has none, or with `update_password: always`; `mask_secrets` is the one place configs lose it before they
are shown. A VM without a cloud-init drive gets one on `cloudinit.storage` when a setting is written.
PVE reads the `cicustom` snippets only when it generates the drive (at start), so each snippet a run writes is
checked here first: a volume of a storage with `snippets` content that exists on the VM's node.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from ._checks import check_nameservers, check_storage
from ._diff import ABSENT, MASK, Field, as_bool, as_str, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE, IPCONFIG, PropFormat
from ._dev_disk import DISK_SLOT, is_cdrom
from ._regex import regex
from ._specbase import DNS_FIELDS, DeviceSpec, check_addresses, check_searchdomain

IPCONFIG_SLOT = regex(r'^(?:ipconfig)?([0-9]|[12][0-9]|3[01])$')
IPCONFIG_KEY = regex(r'^ipconfig(?:[0-9]|[12][0-9]|3[01])$')
# encodeURIComponent's safe set: what PVE's `urlencoded` format (sshkeys) allows unescaped.
URL_SAFE = "-_.!~*'()"
SSH_KEY = regex(r'^(?:ssh-|ecdsa-|sk-)\S+\s+\S+')
USER = regex(r'^[a-z_][a-z0-9_-]*$')
# qemu-server QemuServer.pm $cicustom_fmt: each a pve-volume-id, read from the storage's snippets directory.
CICUSTOM = PropFormat('cicustom')
CICUSTOM_KEYS = ('user', 'network', 'meta', 'vendor')
SNIPPET = regex(r'^([A-Za-z][A-Za-z0-9._-]*):(snippets/[^,=]+)$')
CITYPES = ('nocloud', 'configdrive2', 'opennebula')


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
    'cicustom': Field(props_normalizer(CICUSTOM)),
    'citype': Field(as_str),
    'ciupgrade': Field(as_bool, default=1),
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


def nic_ipconfigs(params):
    """The `ipconfig` of the NICs in `nets`: [(ipconfigN, item, option)]."""
    out = []
    for index, nic in enumerate(params.get('nets') or []):
        item = nic.get('ipconfig')
        if item is None:
            continue
        option = 'nets[{0}].ipconfig'.format(index)
        found = re.match(r'^net(\d+)$', str(nic.get('slot')))
        if not found:
            continue  # the NIC's slot is refused by the nets spec
        if nic.get('state') == 'absent':
            raise ValidationError(option, item, 'a NIC removed with state=absent takes no ipconfig; remove '
                                                'ipconfig{0} with ipconfig.state=absent on a present NIC, or '
                                                'cloudinit.ipconfig'.format(found.group(1)))
        out.append(('ipconfig{0}'.format(found.group(1)), item, option))
    return out


def check_snippet(option, volume, node, run):
    """A cicustom volume: its storage holds snippets on the node and the volume is there."""
    storage = SNIPPET.match(volume).group(1)
    storages = run.node_storages(node)
    with_snippets = sorted(s for s, i in storages.items() if 'snippets' in str(i.get('content', '')).split(','))
    if storage not in storages:
        raise ValidationError(option, volume, 'storage {0} is not a storage of node {1} (storages with snippets: '
                                              '{2})'.format(storage, node, ', '.join(with_snippets) or 'none'))
    if storage not in with_snippets:
        raise ValidationError(option, volume, 'storage {0} does not hold snippets (its content is {1}; storages '
                                              'with snippets: {2})'.format(storage, storages[storage].get('content'),
                                                                           ', '.join(with_snippets) or 'none'))
    items = run.client.get('/nodes/{0}/storage/{1}/content'.format(node, storage), content='snippets') or []
    if not any(item.get('volid') == volume for item in items):
        raise ValidationError(option, volume, 'no such snippet on node {0} (snippets of {1}: {2})'.format(
            node, storage, ', '.join(sorted(str(i.get('volid')) for i in items)) or 'none'))


class CloudInitSpec(DeviceSpec):
    """`cloudinit`: one dict of settings, and the drive they are written to."""

    option = 'cloudinit'
    many = False
    fields = FIELDS
    slot = IPCONFIG_KEY
    field = IPCONFIG_FIELD

    def entries(self, params):
        """`cloudinit`, also when only NICs in `nets` carry an ipconfig."""
        if params.get(self.option) is None and not nic_ipconfigs(params):
            return []
        return [self.normalize(params.get(self.option) or {}, self.option, params)]

    def normalize(self, entry, option, params):
        ci = dict(entry)
        given = {}
        for index, item in enumerate(ci.get('ipconfig') or []):
            given[ipconfig_slot(item, index)] = 'cloudinit.ipconfig[{0}]'.format(index)
        ci['nic_ipconfig'] = nic_ipconfigs(params)
        for slot, item, item_option in ci['nic_ipconfig']:
            if slot in given:
                raise ValidationError(item_option, slot, 'is also given as {0}; give each ipconfig one way only'
                                      .format(given[slot]))
            check_addresses(item_option, item, gw_needs_ip=True)
        for key, volume in sorted((ci.get('custom') or {}).items()):
            if volume is not None and volume != '' and not SNIPPET.match(str(volume)):
                raise ValidationError('cloudinit.custom.' + key, volume, 'is not a snippet volume such as '
                                                                         'local:snippets/user.yaml')
        if ci.get('type') is not None and ci['type'] not in CITYPES:
            raise ValidationError('cloudinit.type', ci['type'], 'must be one of {0}'.format(', '.join(CITYPES)))
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
        if entry.get('type') is not None:
            plan.want('citype', entry['type'])
            keys.append('citype')
        if entry.get('upgrade') is not None:
            plan.want('ciupgrade', 1 if entry['upgrade'] else 0)
            keys.append('ciupgrade')
        if entry.get('custom') is not None:
            keys.extend(self.plan_custom(entry['custom'], current, plan))
        items = [(ipconfig_slot(item, index), item) for index, item in enumerate(entry.get('ipconfig') or [])]
        items.extend((slot, item) for slot, item, _option in entry.get('nic_ipconfig') or [])
        for slot, item in items:
            if item.get('state') == 'absent':
                plan.want(slot, ABSENT)
            else:
                plan.want(slot, merged_ipconfig(item, current.get(slot)))
            keys.append(slot)
        plan.cloudinit_keys = keys
        if keys and cloudinit_slot(current) is None:
            self.plan_drive(entry, current, plan)

    @staticmethod
    def plan_custom(custom, current, plan):
        """cicustom: the given snippets merged into the current ones ('' removes one); each new snippet is
        checked on the VM's node before any write."""
        have = CICUSTOM.parse(current.get('cicustom'))
        merged = dict(have)
        for key in CICUSTOM_KEYS:
            volume = custom.get(key)
            if volume == '':
                merged.pop(key, None)
            elif volume is not None:
                merged[key] = volume
                if have.get(key) != volume:
                    plan.checks.append(lambda run, node, o='cloudinit.custom.' + key, v=volume:
                                       check_snippet(o, v, node, run))
        plan.want('cicustom', CICUSTOM.format(merged) if merged else ABSENT)
        return ['cicustom']

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
