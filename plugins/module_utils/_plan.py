# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run will do to a guest's config, below both the specs that fill it and the engine that applies it.
Private to the collection."""

from __future__ import annotations

from ._diff import ABSENT


class ConfigPlan(object):
    """What a spec asks of a config: keys to converge, and the actions a config write cannot do."""

    def __init__(self, field_for):
        self.field_for = field_for
        self.desired = {}
        self.resizes = []      # (slot, new size in bytes, current size or None)
        self.moves = []        # (slot, target storage)
        self.detached = []     # (slot, volume) removed with state: absent (purge_volumes deletes them)
        self.storages = {}     # storage new volumes go to -> the option that names it (checked before any write)
        self.new_volumes = []  # slots whose value allocates a volume
        self.cloudinit_keys = []
        self.imports = []      # (slot, source, size or None, option): new disks imported from an image
        self.isos = []         # (slot, ISO volume, option): ISO images put in CD/DVD drives (checked to exist)
        self.checks = []       # callables (run, node): cluster checks of values about to be written

    def want(self, key, value):
        self.desired[key] = value

    def detach(self, slot, volume=None):
        """Remove the slot; its volume (if any) stays as an unused volume, listed for purge_volumes."""
        self.want(slot, ABSENT)
        if volume:
            self.detached.append((slot, volume))

    def move(self, slot, storage, option):
        """Move the slot's volume to another storage (checked before any write, as `option` names it)."""
        self.moves.append((slot, storage))
        self.storages.setdefault(storage, option)

    def add_volume(self, slot, storage, option):
        self.new_volumes.append(slot)
        self.storages.setdefault(storage, option)

    def fields(self):
        return dict((key, self.field_for(key)) for key in self.desired)
