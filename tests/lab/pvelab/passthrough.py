"""What PVE checks of virtiofs and hostpci devices, after qemu-server (PVE/API2/Qemu.pm check_hostpci_perm,
PVE/QemuServer/PCI.pm parse_hostpci and parse_hostpci_devices, PVE/QemuServer/Virtiofs.pm) and
pve-guest-common (PVE/Mapping/Dir.pm, PVE/Mapping/PCI.pm assert_valid):

* a config write of a `hostpciN` with a raw `host` is refused for anyone but root@pam (API tokens too):
  `only root can set 'hostpci0' config for non-mapped devices` (qemu-server 8.0+); a mapping needs Mapping.Use
  on it and VM.Config.HWType on the VM; `romfile` is root@pam's only;
* a VM start fails, with PVE's words, when a virtiofs dirid has no mapping entry for the node (or its path
  is missing there), a hostpci host address is not on the node, a PCI mapping has no (valid) entry for the
  node, or pcie=1 is set on a machine that is not q35 (and the legacy IGD rules);
* at start each hostpciN gets its devices (PCI.pm choose_hostpci_devices, in slot order): one alternative
  (a host address, a mapping with one entry on the node) is taken as it is - `device '<id>' assigned more than
  once` if another slot has it; of several (a mapping with several entries on the node) the first one no
  earlier slot uses - `could not find a free device for 'hostpciN'` if there is none. Mediated devices are
  chosen later and share. A config write checks none of this (only the Mapping.Use privilege).
"""

import re

from fakepve.model import PveError, TaskError

from .hardware import normalize_pci_id

HOSTPCI_KEY = re.compile(r'^hostpci\d+$')
VIRTIOFS_KEY = re.compile(r'^virtiofs\d+$')


def parse_props(value, default_key):
    out = {}
    for part in str(value or '').split(','):
        if not part:
            continue
        if '=' in part:
            key, val = part.split('=', 1)
            out[key] = val
        else:
            out[default_key] = part
    return out


def is_q35(config):
    machine = parse_props(config.get('machine', ''), 'type').get('type', '')
    return 'q35' in machine


def truthy(value):
    return str(value) in ('1', 'true', 'yes', 'on')


class PassthroughChecks(object):
    """Mixin for the lab's FakePve."""

    # ------------------------------------------------------------ config writes

    def _check_hostpci_perm(self, vm, user, key, value):
        if user == 'root@pam':
            return
        device = parse_props(value, 'host')
        if device.get('host'):
            raise PveError(500, "only root can set '{0}' config for non-mapped devices".format(key))
        if device.get('mapping'):
            self.require(user, '/mapping/pci/{0}'.format(device['mapping']), 'Mapping.Use')
            self.require(user, '/vms/{0}'.format(vm.vmid), 'VM.Config.HWType')
        elif value is not None:
            raise PveError(500, "either 'host' or 'mapping' must be set.")
        if 'romfile' in device:
            raise PveError(400, 'Parameter verification failed.', {key: "only root@pam can set 'romfile' option"})

    async def _apply_config(self, vm, user, p):
        for key, value in p.items():
            if HOSTPCI_KEY.match(key):
                self._check_hostpci_perm(vm, user, key, value)
        for key in [k for k in str(p.get('delete', '') or '').split(',') if HOSTPCI_KEY.match(k)]:
            if key in vm.config:
                self._check_hostpci_perm(vm, user, key, vm.config[key])
        await super()._apply_config(vm, user, p)

    # ------------------------------------------------------------ VM start

    async def _do_start(self, vm, user, p):
        if vm.status != 'running' and not vm.template:
            config = dict(vm.config)
            for key, value in vm.pending.items():
                if value is None:
                    config.pop(key, None)
                else:
                    config[key] = value
            problem = self.start_problem(vm.node, config)
            if problem:
                async def body():
                    raise TaskError(problem)
                return await self.task(vm.node, 'qmstart', vm.vmid, user, body, vm=vm)
        return await super()._do_start(vm, user, p)

    def start_problem(self, node, config):
        """PVE's message for what would stop this config from starting on node, or None."""
        for key in sorted(k for k in config if VIRTIOFS_KEY.match(k)):
            problem = self._virtiofs_problem(node, parse_props(config[key], 'dirid'))
            if problem:
                return problem
        legacy_igd = False
        for key in sorted(k for k in config if HOSTPCI_KEY.match(k)):
            device = parse_props(config[key], 'host')
            problem = self._hostpci_problem(node, device)
            if problem:
                return problem
            if truthy(device.get('pcie')) and not is_q35(config):
                return 'q35 machine model is not enabled'
            if truthy(device.get('legacy-igd')):
                if legacy_igd:
                    return 'only one device can be assigned in legacy-igd mode'
                legacy_igd = True
                if config.get('vga') != 'none':
                    return "legacy IGD assignment requires VGA mode to be 'none'"
                if is_q35(config):
                    return 'legacy IGD assignment is not compatible with q35'
                if not re.search(r'02\.0$', device.get('host', '')):
                    return 'legacy IGD assignment only works for devices on host bus 00:02.0'
        return self._choose_problem(node, config)

    def _choose_problem(self, node, config):
        """PCI.pm choose_hostpci_devices: PVE's message when the slots cannot all get their own devices."""
        used = set()
        for key in sorted((k for k in config if HOSTPCI_KEY.match(k)), key=lambda k: int(k[7:])):
            device = parse_props(config[key], 'host')
            if device.get('mdev'):
                continue
            if device.get('mapping'):
                paths = [entry['path'] for entry in self.node_mapping('pci', device['mapping'], node)]
            else:
                paths = [device.get('host', '')]
            alternatives = [[d['id'] for pci_id in path.split(';') for d in self.lspci(node, pci_id)]
                            for path in paths]
            if len(alternatives) == 1:
                for pci_id in alternatives[0]:
                    if pci_id in used:
                        return "device '{0}' assigned more than once".format(pci_id)
                    used.add(pci_id)
                continue
            free = [ids for ids in alternatives if not used.intersection(ids)]
            if not free:
                return "could not find a free device for '{0}'".format(key)
            used.update(free[0])
        return None

    def _virtiofs_problem(self, node, share):
        dirid = share.get('dirid')
        entries = self.node_mapping('dir', dirid, node)
        if entries is None:
            return 'Directory ID {0} does not exist.'.format(dirid)
        if len(entries) > 1:
            return 'More than than one directory mapping for node {0}.'.format(node)
        if not entries:
            return 'No directory mapping for node {0}.'.format(node)
        path = entries[0].get('path')
        if not self.node_has_dir(node, path):
            return 'directory mapping invalid: Path {0} does not exist'.format(path)
        return None

    def _hostpci_problem(self, node, device):
        host, mapping = device.get('host'), device.get('mapping')
        if host and mapping:
            return "Cannot set both 'host' and 'mapping'."
        if mapping:
            entries = self.node_mapping('pci', mapping, node)
            if not entries:
                return "PCI device mapping not found for '{0}'".format(mapping)
            for entry in entries:
                problem = self._pci_mapping_entry_problem(node, mapping, entry, self.mappings['pci'][mapping])
                if problem:
                    return 'PCI device mapping invalid (hardware probably changed): {0}'.format(problem)
            alternatives = [entry['path'].split(';') for entry in entries]
        elif host:
            alternatives = [host.split(';')]
        else:
            return "Either 'host' or 'mapping' must be set."
        for ids in alternatives:
            found = 0
            for pci_id in ids:
                devices = self.lspci(node, pci_id)
                if not devices:
                    return "no PCI device found for '{0}'".format(pci_id)
                found += len(devices)
            if found > 1 and device.get('mdev'):
                return 'cannot use mediated device with multifunction device'
        return None

    def lspci(self, node, pci_id):
        """The node's devices an id names: one function, or every function of a device given without one."""
        wanted = normalize_pci_id(pci_id) if '.' in pci_id else None
        prefix = pci_id.lower() if pci_id.count(':') == 2 else '0000:' + pci_id.lower()
        out = []
        for entry in self.pci_devices.get(node, []):
            if (wanted and entry['id'] == wanted) or (not wanted and entry['id'].startswith(prefix + '.')):
                out.append(entry)
        return out

    def _pci_mapping_entry_problem(self, node, name, entry, cluster_cfg=None):
        """PVE::Mapping::PCI::assert_valid for one entry; with the mapping's config (cluster_cfg, as both
        qemu-server PCI.pm parse_hostpci and the check-node listing pass it) its mdev flag must also match
        whether the device can provide mediated devices."""
        for index, path in enumerate(entry.get('path', '').split(';')):
            if '.' not in path:
                path = path + '.0'
            info = self.pci_device(node, path)
            if info is None:
                return "pci device '{0}' not found".format(path)
            expected = {'id': '{0}:{1}'.format(info['vendor'], info['device']).replace('0x', ''),
                        'iommugroup': str(info['iommugroup']), 'subsystem-id': None}
            if info.get('subsystem_vendor') and info.get('subsystem_device'):
                expected['subsystem-id'] = '{0}:{1}'.format(info['subsystem_vendor'], info['subsystem_device']) \
                    .replace('0x', '')
            configured = dict((prop, entry.get(prop)) for prop in expected)
            if cluster_cfg is not None:
                expected['mdev'] = '1' if info.get('mdev') else '0'
                configured['mdev'] = '1' if str(cluster_cfg.get('mdev', 0)).lower() in ('1', 'true') else '0'
            for prop in sorted(expected):
                if prop == 'iommugroup' and index > 0:
                    continue
                want, have = expected[prop], configured[prop]
                if want is None and have is None:
                    continue
                if want is not None and have is None:
                    return "missing expected property '{0}' for device '{1}'".format(prop, path)
                if want is None:
                    return "unexpected property '{0}' configured for device '{1}'".format(prop, path)
                if want != str(have).replace('0x', ''):
                    return "'{0}' does not match for '{1}' ({2} != {3})".format(prop, name, want, have)
        return None

    def pci_mapping_checks(self, mapping_id, node):
        """The `check-node` diagnostics of a PCI mapping."""
        entries = self.node_mapping('pci', mapping_id, node)
        checks = []
        if entries is not None and not entries:
            checks.append({'severity': 'warning', 'message': 'No mapping for node {0}.'.format(node)})
        for entry in entries or []:
            problem = self._pci_mapping_entry_problem(node, mapping_id, entry, self.mappings['pci'][mapping_id])
            if problem:
                checks.append({'severity': 'error', 'message': 'Invalid configuration: ' + problem})
        return checks
