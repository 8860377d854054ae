# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's virtiofs shares (virtiofs0-virtiofs9, PVE 8.4+), kept by pve_virtiofs. Private to the collection.

`[dirid=]<mapping-id>,cache=auto|always|metadata|never,direct-io,expose-acl,expose-xattr`; a share is the
directory mapping it names, so a re-run without a slot finds the slot that already holds it (_device.DeviceRun).
"""

from __future__ import annotations

from ._device import DeviceKind
from ._diff import Field, as_bool, props_normalizer
from ._propstring import VIRTIOFS

KIND = DeviceKind('virtiofs', 10, VIRTIOFS, Field(props_normalizer(
    VIRTIOFS, {'direct-io': as_bool, 'expose-acl': as_bool, 'expose-xattr': as_bool},
    defaults={'cache': 'auto', 'direct-io': 0, 'expose-acl': 0, 'expose-xattr': 0})),
    identity=lambda share: share.get('dirid'), label='virtiofs share')
