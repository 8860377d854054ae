# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest engine pve_vm and pve_lxc share: find or create the guest, converge its config, then its power
state. Private to the collection.

One read of the current state (the guest, its config, and its pending changes when it runs), validation of
the spec against it, the diff, then the writes in order: create or clone, one config write, volume moves,
resizes, purges, the kind's own extra steps, power. In check mode the same steps are only planned.

Each step lives in a file of its own, as a part of GuestRun:
  _guest_locate   GuestLocate    the options naming the guest checked, the guest found
  _guest_create   GuestCreate    a new guest created from scratch or cloned
  _guest_config   GuestConfig    an existing guest's state read, validated, its config written once (digest)
  _guest_volumes  GuestVolumes   disks moved, grown, their detached volumes purged
  _guest_power    GuestPower     power state, apply_pending, destroy
GuestRun.ensure() walks them and reports the result. A subclass per guest kind (_vm.VmRun, _lxc.CtRun)
supplies the spec and what differs between the kinds (the hooks below).
"""

from __future__ import annotations

from ._checks import KIB, rounding_note
from ._diff import AS_STORED, tags_need_style
from ._guest_config import GuestConfig, clean
from ._guest_create import GuestCreate
from ._guest_locate import GuestLocate
from ._guest_power import GuestPower
from ._guest_volumes import GuestVolumes
from ._propstring import PropFormat

# The options the engine reads, the same for VMs and containers (pve_vm and pve_lxc add their settings).
GUEST_ARGSPEC = dict(
    vmid=dict(type='int'),
    name=dict(type='str'),
    node=dict(type='str'),
    clone=dict(type='str'),
    full=dict(type='bool', default=True),
    storage=dict(type='str'),
    pool=dict(type='str'),
    snapname=dict(type='str'),
    state=dict(type='str', default='present',
               choices=['present', 'started', 'stopped', 'restarted', 'absent', 'template']),
    purge_volumes=dict(type='bool', default=False),
    apply_pending=dict(type='str', choices=['never', 'reboot'], default='never'),
    shutdown_timeout=dict(type='int', default=180),
    force_stop=dict(type='bool', default=True),
    lock_timeout=dict(type='int', default=60),
    timeout=dict(type='int', default=600),
)


def read_tag_style(client):
    """The datacenter's `tag-style` as a dict ({} when unset): GET /cluster/options, which every user may read
    (pve-manager API2/Cluster.pm get_options; pve-cluster DataCenterConfig.pm parses it into an object)."""
    style = (client.get('/cluster/options') or {}).get('tag-style') or {}
    if isinstance(style, str):
        style = PropFormat('tag-style').parse(style)
    return style


class GuestRun(GuestLocate, GuestCreate, GuestConfig, GuestVolumes, GuestPower):
    """One pve_vm or pve_lxc task. Subclasses set the class attributes and the hooks below."""

    kind = None               # _guest.QEMU or _guest.LXC
    noun = 'guest'            # as messages name one: VM, container
    storage_content = 'images'
    storage_noun = 'VM disks'
    max_vcpus = 512
    size_unit = KIB           # the granularity PVE keeps volume sizes in (see _checks.gib_text)

    def make_spec(self, params):
        raise NotImplementedError

    def create_from_scratch(self):
        raise NotImplementedError

    def clone_preview(self, source_config):
        """The config a clone of the source will have (check mode shows the plan against it)."""
        return clean(source_config)

    def clone_slots(self, source_config):
        """Volume slots a clone brings along."""
        return ()

    def check_clone_node(self, source, source_config, node):
        """Refuse, before any write, a clone to another node that PVE would refuse (see _vm.VmRun)."""

    def check_clone_source(self, source, source_config):
        """Refuse, before any write, a clone of this source that PVE would refuse on any node (see _lxc.CtRun)."""

    def check_destroy(self, config):
        """Refuse, before any write, a destroy PVE would refuse in its task (see _vm.VmRun)."""

    def vcpus(self, desired, current):
        return int(desired.get('cores', current.get('cores', 1)))

    def config_method(self, plan, delta):
        return 'PUT'

    def config_read_timeout(self, plan, delta):
        """Seconds to wait for the answer to the config write, when PVE answers it only once slow work is done
        (None: api_timeout)."""
        return None

    def move_request(self, slot, storage):
        """(path suffix, parameters) of the request moving a volume to another storage."""
        raise NotImplementedError

    def extra_actions(self, plan, delta):
        """The kind's own steps after the config write (VMs regenerate their cloud-init drive)."""

    def after_power(self):
        """The kind's own steps after power changes (VMs can wait for their guest agent)."""

    def result_config(self, config):
        return config

    def size_options(self):
        """(option, value) of every volume size the play gives."""
        return []

    def resize_settled(self, slot, size, exc):
        """True if a failed resize of slot to size bytes found the disk already resized (see CtRun)."""
        return False

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client
        self.spec = self.make_spec(module.params)
        self.lock_timeout = module.params['lock_timeout']
        self.changed = False
        self.changed_keys = []
        self.before = {}
        self.after = {}
        self.guest = None
        self.power_done = False
        self.resumed = False  # a hibernated VM was resumed by this run (that start was its power change)
        self.pending = {}
        # Keys PVE applied at once that the running guest only reads at its next boot (cloud-init).
        self.next_boot = []
        self.stopped_how = None
        self._guests = None
        self.state = None  # the guest's GuestState when it was read together with the guest
        self._node_storages = {}
        self.extra_result = {}

    # ------------------------------------------------------------------ the engine

    def ensure(self):
        """Walk the steps: locate, then absent (destroy), or create / converge the config, then power and result."""
        p = self.params
        self.check_identity()
        self.locate()
        if p['state'] == 'absent':
            return self.absent()
        self.check_no_snapshots()
        self.warn_rounded_sizes()
        if p.get('tags') is not None:
            # How PVE stores these tags may depend on the datacenter's tag-style: then one read, else none.
            self.spec.tag_style = read_tag_style(self.client) if tags_need_style(p['tags']) else AS_STORED
        if self.guest is None:
            current = self.create()
        else:
            current = self.converge_existing()
        return self.finish(current)

    def warn_rounded_sizes(self):
        """A size PVE cannot keep as given (a fraction of its unit) is rounded up: say so."""
        for option, value in self.size_options():
            note = rounding_note(option, value, self.size_unit, self.storage_noun)
            if note:
                self.module.warn(note)

    def finish(self, current):
        """The power step, what still waits for a restart, the kind's own last steps, then the result."""
        self.power()
        current = self.settle_pending(current)
        self.after_power()
        self.report(current)

    def report(self, current):
        guest = self.guest
        config = self.result_config(dict(current))
        self.module.exit(changed=self.changed, vmid=guest.vmid, node=guest.node,
                         name=config.get(self.kind.name_key, guest.name),
                         status=guest.status, template=guest.template, changed_keys=self.changed_keys,
                         pending=sorted(self.pending), reboot_required=bool(self.pending or self.next_boot),
                         config=config,
                         diff={'before': self.before, 'after': self.after}, **self.extra_result)
