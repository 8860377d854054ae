# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LXC container spec: module options -> the config PVE should end up with. Private to the collection.

Like _vmspec for VMs: `CtSpec.from_params` checks every option on its own, `CtSpec.plan(current)` merges
the spec into a current config and returns a ConfigPlan. Mount points and NICs are devices by slot; slots
not listed are never touched. `features` is compared as a whole: a feature the play does not list is off,
so a removal is seen. `unprivileged` is create-time only; `password` and `ssh_public_keys` are used when
the container is created (PVE cannot show them afterwards).
"""

from __future__ import annotations

from ._checks import check_nameservers
from ._diff import ABSENT, CREATE_ONLY, Field, as_bool, as_int, as_number, as_str, comment_text, props_normalizer
from ._errors import ValidationError
from ._propstring import LXC_FEATURES
from ._dev_lxcdev import DEVICES
from ._dev_mount import MOUNTS, ROOTFS, retarget_mount, volume_slots
from ._dev_net import LXC_NETS
from ._regex import regex
from ._specbase import DNS_FIELDS, SHARED_FIELDS, GuestSpec, check_searchdomain, clone_config

FEATURES = ('nesting', 'keyctl', 'fuse', 'mknod', 'force_rw_sys')
FS_TYPE = regex(r'^[A-Za-z0-9_]+$')
# pve-container LXC/Config.pm verify_ct_timezone, pve-common JSONSchema.pm pve_verify_timezone: `host`, `UTC` or
# a zone of /usr/share/zoneinfo/zone.tab (Area/Location, some Area/Region/Location).
TIMEZONE = regex(r'^(?:host|UTC|[A-Z][A-Za-z_-]*(?:/[A-Za-z0-9_+-]+){1,2})$')


def as_fs_types(value):
    items = value if isinstance(value, (list, tuple)) else str(value).replace(' ', ';').split(';')
    return frozenset(str(v) for v in items if v)


FIELDS = {
    'hostname': Field(as_str),
    'unprivileged': Field(as_bool, mode=CREATE_ONLY, default=0),
    'features': Field(props_normalizer(LXC_FEATURES, dict([(f, as_bool) for f in FEATURES], mount=as_fs_types),
                                       defaults=dict((f, 0) for f in FEATURES))),
    'cores': Field(as_int),
    'cpulimit': Field(as_number, default=0),
    'cpuunits': Field(as_int, default=100),
    'swap': Field(as_int, default=512),
    'description': Field(comment_text('lxc')),
    # Console, time zone and the OS the container runs (pve-container LXC/Config.pm $confdesc defaults).
    'cmode': Field(as_str, default='tty'),
    'console': Field(as_bool, default=1),
    'tty': Field(as_int, default=2),
    'timezone': Field(as_str),
    'arch': Field(as_str, mode=CREATE_ONLY, default='amd64'),
    'ostype': Field(as_str, mode=CREATE_ONLY),
}
FIELDS.update(SHARED_FIELDS)
FIELDS.update(DNS_FIELDS)


def clone_preview(source_config, storage=None, hostname=None):
    """What a clone of the source will look like: its volumes on the clone's target storage."""
    return clone_config(source_config, volume_slots(source_config), retarget_mount, storage, 'hostname', hostname)


class CtSpec(GuestSpec):
    """The desired container, checked option by option."""

    FIELDS = FIELDS
    DEVICES = (ROOTFS, MOUNTS, LXC_NETS, DEVICES)

    @property
    def mounts(self):
        return self.entries('mounts')

    def check_settings(self):
        p = self.params
        out = self.settings
        self.set_common(('unprivileged', 'cores', 'cpuunits', 'swap', 'searchdomain', 'onboot', 'protection',
                         'description'))
        if p.get('cores') is not None and not 1 <= p['cores'] <= 8192:
            raise ValidationError('cores', p['cores'], 'must be at least 1')
        if p.get('cpulimit') is not None:
            if not 0 <= p['cpulimit'] <= 8192:
                raise ValidationError('cpulimit', p['cpulimit'], 'must be 0 (no limit) or more')
            out['cpulimit'] = p['cpulimit']
        if p.get('cpuunits') is not None and not 0 <= p['cpuunits'] <= 10000:
            # pve-common CGroup.pm clamp_cpu_shares: PVE 8.4 and 9.x (cgroup v2) store 10000 for any value above.
            raise ValidationError('cpuunits', p['cpuunits'], 'must be 0-10000 (PVE on cgroup v2 stores any larger '
                                                             'weight as 10000)')
        if p.get('swap') is not None and p['swap'] < 0:
            raise ValidationError('swap', p['swap'], 'must be 0 or more MiB')
        self.set_memory(1024)
        if p.get('name') is not None:
            out['hostname'] = p['name']
        self.set_tags()
        if p.get('nameserver') is not None:
            out['nameserver'] = list(check_nameservers('nameserver', p['nameserver']))
        check_searchdomain('searchdomain', p.get('searchdomain'))
        self.set_start()
        if p.get('features') is not None:
            out['features'] = self._features(p['features'])
        self.check_console()

    def check_console(self):
        """cmode, console, tty, timezone, arch and ostype (PVE's enums are the module's choices)."""
        p = self.params
        self.set_common(('cmode', 'console', 'tty', 'arch', 'ostype'))
        if p.get('tty') is not None and not 0 <= p['tty'] <= 6:
            raise ValidationError('tty', p['tty'], 'must be 0-6 (the number of ttys PVE gives the container)')
        if p.get('timezone') is not None:
            if not TIMEZONE.match(p['timezone']):
                raise ValidationError('timezone', p['timezone'], 'is not host, UTC or a time zone name of '
                                                                 '/usr/share/zoneinfo/zone.tab such as Europe/Berlin')
            self.settings['timezone'] = p['timezone']

    @staticmethod
    def _features(features):
        data = {}
        for key, value in features.items():
            if key == 'mount':
                types = value if isinstance(value, list) else [value]
                for fs in types:
                    if not FS_TYPE.match(str(fs)):
                        raise ValidationError('features.mount', fs, 'is not a file system type such as nfs or cifs')
                if types:
                    data['mount'] = ';'.join(sorted(set(str(t) for t in types)))
            elif key in FEATURES:
                if value is None:
                    continue
                if not isinstance(value, bool):
                    raise ValidationError('features.' + key, value, 'must be true or false')
                if value:
                    data[key] = '1'
            else:
                raise ValidationError('features.' + key, value, 'unknown feature ({0}, mount)'.format(
                    ', '.join(FEATURES)))
        return LXC_FEATURES.format(data) if data else ABSENT

    def plan_settings(self, plan, current, creating):
        super().plan_settings(plan, current, creating)
        if creating and not current and 'unprivileged' not in self.settings:
            # A container made from an OS template is unprivileged unless the play says otherwise; a clone
            # (current: its source's config) keeps its source's value, which PVE cannot change afterwards.
            plan.want('unprivileged', True)
