"""Node USB hardware: /nodes/{node}/hardware/usb from a seeded sysfs-like table, and the USB mapping checks.

fakepve answers the hardware list with sample data. Here each node has its USB buses and devices under
their sysfs names (`usb1` is bus 1's root hub, `1-4` the device on its port 4, `1-4.1` port 1 of the hub
there), and the list is computed from them as pve-common's PVE::SysFSTools::scan_usb / __scan_usb_device
walks /sys/bus/usb/devices: depth-first from each root hub, `level` the depth, `port` the last port number
minus one (0 for a root hub), `usbpath` the sysfs name without its `<bus>-` prefix (root hubs have none),
`class` the bDeviceClass as an integer, `vendid`/`prodid` the four hex digits sysfs prints (lower case).
`serial` is never reported: __scan_usb_device assigns it with `my $serial => ...`, which leaves it undef.

The USB mapping's `check-node` diagnostics follow pve-guest-common PVE::Mapping::USB::assert_valid and
pve-manager PVE/API2/Cluster/Mapping/USB.pm index, which reports them under `errors` (the PCI and
directory kinds say `checks`).
"""

import copy
import re

CHILD = re.compile(r'^(\d+)-(\d+(?:\.\d+)*)$')
# What a root hub reports: the Linux Foundation's IDs, by USB version of the bus.
ROOT_HUB = {'2': ('0002', '480', 'EHCI Host Controller'), '3': ('0003', '5000', 'xHCI Host Controller')}


class UsbApi(object):
    """Mixin for the lab's FakePve: node -> {sysfs name: device attributes}."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.usb_devices = {}

    def _routes_usb(self):
        return [('GET', '/nodes/{node}/hardware/usb', self._usb_scan)]

    def add_usb_bus(self, node, busnum, version='2'):
        """Seed a bus: its root hub `usb<busnum>`."""
        prodid, speed, product = ROOT_HUB[version]
        self.usb_devices.setdefault(node, {})['usb{0}'.format(busnum)] = {
            'busnum': int(busnum), 'devnum': 1, 'speed': speed, 'class': 9, 'vendid': '1d6b', 'prodid': prodid,
            'manufacturer': 'Linux 6.8.12-4-pve xhci-hcd', 'product': product}

    def add_usb_device(self, node, sysname, vendid, prodid, devnum, speed, cls=0, product=None, manufacturer=None):
        """Seed a device at its sysfs name (`1-2`, `1-4.1`); its bus must have been seeded."""
        found = CHILD.match(sysname)
        if not found or 'usb' + found.group(1) not in self.usb_devices.get(node, {}):
            raise ValueError('no bus for USB device {0} on {1}'.format(sysname, node))
        entry = {'busnum': int(found.group(1)), 'devnum': int(devnum), 'speed': str(speed), 'class': int(cls),
                 'vendid': vendid.lower(), 'prodid': prodid.lower()}
        if product:
            entry['product'] = product
        if manufacturer:
            entry['manufacturer'] = manufacturer
        self.usb_devices[node][sysname] = entry
        return entry

    def usb_scan(self, node):
        """PVE::SysFSTools::scan_usb for node: the device list in its order."""
        devices = self.usb_devices.get(node, {})
        out = []

        def walk(name, level):
            attrs = devices[name]
            item = {'port': int(re.split(r'[-.]', name)[-1]) - 1 if level else 0, 'level': level}
            item.update((k, attrs[k]) for k in ('busnum', 'devnum', 'speed', 'class', 'vendid', 'prodid'))
            if level:
                item['usbpath'] = name.split('-', 1)[1]
            for key in ('product', 'manufacturer'):
                if attrs.get(key):
                    item[key] = attrs[key]
            out.append(item)
            # glob "$devpath/$busnum-*": the direct children, in the shell's (lexical) order.
            prefix = '{0}-'.format(attrs['busnum']) if not level else name + '.'
            for child in sorted(devices):
                if CHILD.match(child) and child.startswith(prefix) and '.' not in child[len(prefix):]:
                    walk(child, level + 1)
        for root in sorted(n for n in devices if n.startswith('usb')):
            walk(root, 0)
        return copy.deepcopy(out)

    async def _usb_scan(self, values, user):
        return self.usb_scan(values['node'])

    def usb_mapping_problem(self, node, name, entry):
        """PVE::Mapping::USB::assert_valid for one map entry on node: the message it dies with, or None."""
        wanted = entry.get('id')
        found = None
        if entry.get('path'):
            for dev in self.usb_scan(node):
                if not dev.get('usbpath') or not dev.get('busnum'):
                    continue
                if '{0}-{1}'.format(dev['busnum'], dev['usbpath']) == entry['path']:
                    found = dev
            if found is None:
                return "usb device '{0}' not found".format(entry['path'])
            real = '{0}:{1}'.format(found['vendid'], found['prodid'])
            if real != wanted:
                return "'id' does not match for '{0}' ({1} != {2})".format(name, real, wanted)
            return None
        if not any('{0}:{1}'.format(d['vendid'], d['prodid']) == wanted for d in self.usb_scan(node)):
            return "usb device '{0}' not found".format(wanted)
        return None

    def usb_mapping_errors(self, mapping_id, node):
        """The `errors` the USB mapping list adds with `check-node`."""
        entries = self.node_mapping('usb', mapping_id, node)
        errors = []
        if entries is not None and not entries:
            errors.append({'severity': 'warning', 'message': 'No mapping for node {0}.'.format(node)})
        for entry in entries or []:
            problem = self.usb_mapping_problem(node, mapping_id, entry)
            if problem:
                errors.append({'severity': 'error', 'message': 'Invalid configuration: ' + problem})
        return errors
