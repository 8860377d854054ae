"""Node PCI hardware: /nodes/{node}/hardware/pci and .../{id}/mdev answered from a seeded device table.

fakepve answers these with sample data. Here every node has its own list of devices, as
PVE::SysFSTools::lspci reports them (hex strings for class and ids, `iommugroup` an integer, `mdev` set
on devices that can create mediated devices), and the mdev types each offers.
"""

import copy
import re

from fakepve.model import PveError
from fakepve.routing import split_list

# PVE's default pci-class-blacklist: memory controllers, bridges, processors.
DEFAULT_CLASS_BLACKLIST = '05;06;0b'
NAME_KEYS = ('vendor_name', 'device_name', 'subsystem_vendor_name', 'subsystem_device_name')
FULL_ID = re.compile(r'^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-9a-fA-F]$')


def normalize_pci_id(text):
    """`01:00.0` and `0000:01:00.0` name the same device: the long form, lower case."""
    text = text.lower()
    return text if text.count(':') == 2 else '0000:' + text


class HardwareApi(object):
    """Mixin for the lab's FakePve: node -> [device dict]; device dicts may carry `mdev_types`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pci_devices = {}

    def _routes_hardware(self):
        return [('GET', '/nodes/{node}/hardware/pci', self._pci_scan)]

    def _register_stateful(self, router, prefixes):
        super()._register_stateful(router, prefixes)
        # aiohttp placeholders cannot hold '-', so this path is registered by hand; the schema match (and
        # with it every parameter and permission check) still comes from fakepve.
        from fakepve.server import USER, ok, params

        async def mdev(request):
            match = self.resolve(request, prefixes[0])

            async def call(_match, values):
                return await self._pci_mdev(values, request[USER])
            return ok(await self.answer(request, match, await params(request), request[USER], call))
        for prefix in prefixes:
            router.add_get(prefix + '/nodes/{node}/hardware/pci/{pciid}/mdev', mdev)

    def add_pci_device(self, node, pci_id, cls, vendor, device, iommugroup, mdev_types=None, **extra):
        """Seed one device of node's table."""
        entry = {'id': normalize_pci_id(pci_id), 'class': cls, 'vendor': vendor, 'device': device,
                 'iommugroup': iommugroup}
        entry.update(extra)
        if mdev_types:
            entry['mdev'] = 1
            entry['mdev_types'] = list(mdev_types)
        self.pci_devices.setdefault(node, []).append(entry)
        return entry

    def pci_device(self, node, pci_id):
        """The seeded device, or None."""
        wanted = normalize_pci_id(pci_id)
        for entry in self.pci_devices.get(node, []):
            if entry['id'] == wanted:
                return entry
        return None

    async def _pci_scan(self, values, user):
        blacklist = values.get('pci-class-blacklist')
        classes = split_list(DEFAULT_CLASS_BLACKLIST if blacklist is None else blacklist)
        verbose = values.get('verbose', 1) in (1, '1', True)
        out = []
        for entry in sorted(self.pci_devices.get(values['node'], []), key=lambda e: e['id']):
            if any(entry['class'].lower().startswith('0x' + cls.lower()) for cls in classes):
                continue
            item = dict((k, v) for k, v in entry.items() if k != 'mdev_types')
            if not verbose:
                for key in NAME_KEYS:
                    item.pop(key, None)
            out.append(copy.deepcopy(item))
        return out

    async def _pci_mdev(self, values, user):
        target = values['pci-id-or-mapping']
        node = values['node']
        if FULL_ID.match(target):
            devices = [self.pci_device(node, target)]
        else:
            found = self.node_mapping('pci', target, node)
            if found is None:
                raise PveError(500, 'PCI ID {0} does not exist.'.format(target))
            devices = [self.pci_device(node, m['path']) for m in found if ';' not in m.get('path', '')]
        # PVE::SysFSTools::get_mdev_types: a device without mdev support simply offers no types.
        types = {}
        for device in devices:
            for mdev in (device or {}).get('mdev_types', []):
                types.setdefault(mdev['type'], dict(mdev))
        return [types[name] for name in sorted(types)]
