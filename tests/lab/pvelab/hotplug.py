"""What a running VM takes at once and what waits for its next start, and the config view PVE's GET
config gives, after qemu-server:

* `GET .../qemu/{vmid}/config` answers with the pending values applied; `current=1` gives the values the
  VM runs with (src/PVE/API2/Qemu.pm vm_config; pve-guest-common src/PVE/AbstractConfig.pm
  load_current_config). Containers already answer so in fakepve (pve-container API2/LXC/Config.pm
  vm_config, the same load_current_config).
* A config write to a running VM puts every change in the pending section, then vmconfig_hotplug_pending
  (src/PVE/QemuServer.pm) applies what it can: the fast-plug options and every cloud-init key at once;
  with the VM's `hotplug` features (default `network,disk,usb`) NIC changes, new or detached scsi/virtio
  disks, memory (feature `memory`), `vcpus` (feature `cpu`), usb devices; live always: cpuunits, cpulimit,
  balloon within an enabled balloon, drive throttles and CD-ROM media, NIC bridge/tag/firewall/trunks/rate/
  link_down, an `agent` change of `fstrim_cloned_disks` only (vmconfig_update_agent). Everything else
  (`cores`, `sockets`, `cpu`, `machine`, `bios`, efidisk0, tpmstate0, ide/sata disks, ...) stays pending.
  A hotplug that fails leaves its key pending and the request fails with 400 and `hotplug problem - <msg>`
  for that key (raise_param_exc in $update_vm_api), after the other keys were applied.
* A config write to a stopped VM applies every pending change, not only the keys it names
  (vmconfig_apply_pending).
* With the `cloudinit` hotplug feature the cloud-init drive is regenerated after the hotplug.
"""

import json
import re

from aiohttp import web

from fakepve.model import PveError
from fakepve.qemu import DRIVE_KEY, NET_MODELS, split_drive, is_cdrom

from .qemu import MASKED_PASSWORD, detachable_volume, next_unused, regenerate_cloudinit

# $fast_plug_option plus every key of $confdesc_cloudinit.
CLOUDINIT = ('citype', 'ciuser', 'cipassword', 'ciupgrade', 'cicustom', 'searchdomain', 'nameserver', 'sshkeys')
FAST_PLUG = ('description', 'hookscript', 'lock', 'migrate_downtime', 'migrate_speed', 'name', 'onboot',
             'protection', 'shares', 'startup', 'tags', 'vmstatestorage') + CLOUDINIT
IPCONFIG_KEY = re.compile(r'^ipconfig\d+$')
NET_KEY = re.compile(r'^net\d+$')
USB_KEY = re.compile(r'^usb\d+$')
DEFAULT_HOTPLUG = 'network,disk,usb'
# vmconfig_update_net: a change of these needs the NIC unplugged and plugged again (network hotplug).
NET_REPLUG = ('model', 'macaddr', 'queues', 'mtu')
# vmconfig_update_disk: options a running disk cannot change.
DISK_COLD = ('aio', 'discard', 'iothread', 'queues', 'product', 'cache', 'ssd', 'vendor', 'ro')
# qemu-server src/PVE/QemuServer/Memory.pm $STATICMEM: memory below it cannot be hot-plugged.
STATIC_MEMORY = 1024
TRUE = ('1', 'on', 'yes', 'true')
FALSE = ('0', 'off', 'no', 'false')
SKIP = object()


class HotplugProblem(Exception):
    """A hotplug that PVE tried and that failed: the key stays pending with this message."""


def is_cloudinit(key):
    return key in CLOUDINIT or bool(IPCONFIG_KEY.match(key))


def is_fast_plug(key):
    return key in FAST_PLUG or bool(IPCONFIG_KEY.match(key))


def hotplug_features(value):
    """parse_hotplug_features: the VM's `hotplug` (absent: the default) as a set of features."""
    text = '1' if value is None else str(value)
    if text == '0':
        return set()
    if text == '1':
        text = DEFAULT_HOTPLUG
    return set(f for f in re.split(r'[\s,;]+', text) if f)


def parse_net(value):
    """A netN value as {model, macaddr, bridge, ...}."""
    out = {}
    for part in str(value or '').split(','):
        key, eq, val = part.partition('=')
        if key in NET_MODELS:
            out['model'], out['macaddr'] = key, (val or '').upper() or None
        elif eq:
            out[key] = val
    return out


def parse_agent(value):
    """parse_guest_agent: the agent property string, booleans normalized, without defaults."""
    out = {}
    for n, part in enumerate(str(value or '').split(',')):
        key, eq, val = part.partition('=')
        if not eq:
            key, val = ('enabled', part) if n == 0 else (part, '')
        if val.lower() in TRUE:
            val = '1'
        elif val.lower() in FALSE:
            val = '0'
        out[key] = val
    return out


def memory_mib(value):
    text = str(value)
    for part in text.split(','):
        key, eq, val = part.partition('=')
        if not eq or key == 'current':
            return int(val if eq else key)
    return 0


class HotplugRules(object):
    """Mixin for the lab's FakePve: the pending view of GET config and vmconfig_hotplug_pending."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (vmid, key) -> message: the next hotplug of that key fails with it (a guest refusing a device, ...).
        self.hotplug_failures = {}

    def fail_hotplug(self, vmid, key, message):
        """Make the next hotplug of `key` on VM `vmid` fail with `message` (PVE then keeps it pending)."""
        self.hotplug_failures[(int(vmid), key)] = message

    # ------------------------------------------------------------ GET config

    async def _config_get(self, request):
        response = await super()._config_get(request)
        if str(request.query.get('current', '0')).lower() in TRUE:
            return response
        vm = self._vm(request)
        body = json.loads(response.text)
        data = body['data']
        for key, value in vm.pending.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = str(value) if key == 'memory' else value
        if 'cipassword' in data:
            data['cipassword'] = MASKED_PASSWORD
        return web.json_response(body)

    # ------------------------------------------------------------ config writes

    async def _apply_config(self, vm, user, p):
        before = dict(vm.config)
        await super()._apply_config(vm, user, p)
        if vm.status != 'running':
            if vm.pending:
                vm.apply_pending()  # vmconfig_apply_pending: all of it, whatever the write named
                vm.name = vm.config.get('name') or 'VM {0}'.format(vm.vmid)
            return
        deletes = [k for k in str(p.get('delete', '') or '').split(',') if k]
        modified = set(k for k in p if k not in ('digest', 'delete', 'skiplock', 'background_delay', 'revert'))
        modified.update(deletes)
        if 'agent' in p and 'agent' in vm.config and 'agent' not in vm.pending:
            # fakepve writes `agent` at once; PVE puts it in pending and lets vmconfig_update_agent decide.
            new = vm.config['agent']
            if 'agent' in before:
                vm.config['agent'] = before['agent']
            else:
                vm.config.pop('agent')
            if vm.config.get('agent') != new:
                vm.pending['agent'] = new
        errors = self._hotplug_pending(vm, modified)
        vm.name = vm.config.get('name') or 'VM {0}'.format(vm.vmid)
        if errors:
            raise PveError(400, 'Parameter verification failed.', errors)

    def _hotplug_pending(self, vm, selection):
        """vmconfig_hotplug_pending: {key: error} of the hotplugs that failed (they stay pending)."""
        cfg, pending = vm.config, vm.pending
        features = hotplug_features(cfg.get('hotplug'))
        errors = {}
        # Fast-plug values are committed first, whatever the selection.
        for key in [k for k, v in pending.items() if v is not None and is_fast_plug(k)]:
            cfg[key] = pending.pop(key)
        for key in sorted(k for k, v in pending.items() if v is None and k in selection):
            try:
                outcome = self._hot_delete(vm, key, features)
            except HotplugProblem as exc:
                errors[key] = 'hotplug problem - {0}'.format(exc)
                continue
            if outcome is SKIP:
                continue
            pending.pop(key)
            volume = detachable_volume(cfg[key]) if DRIVE_KEY.match(key) and key in cfg else None
            cfg.pop(key, None)
            if volume:
                cfg[next_unused(cfg)] = volume  # vmconfig_delete_or_detach_drive
        for key in sorted(k for k, v in pending.items() if v is not None and k in selection):
            try:
                outcome = self._hot_set(vm, key, pending[key], features)
            except HotplugProblem as exc:
                errors[key] = 'hotplug problem - {0}'.format(exc)
                continue
            if outcome is SKIP:
                continue
            old, new = cfg.get(key), pending.pop(key)
            if DRIVE_KEY.match(key) and old is not None and split_drive(old)[0] != split_drive(new)[0]:
                volume = detachable_volume(old)
                if volume:
                    cfg[next_unused(cfg)] = volume  # vmconfig_register_unused_drive
            cfg[key] = new
        if 'cloudinit' in features and any(is_cloudinit(k) for k in selection):
            if any(DRIVE_KEY.match(k) and 'cloudinit' in str(v) for k, v in cfg.items()):
                self._regenerate_cloudinit(vm)
        return errors

    def _regenerate_cloudinit(self, vm):
        """vmconfig_update_cloudinit_drive, as PUT .../cloudinit does it."""
        regenerate_cloudinit(vm)

    def _attempt(self, vm, key):
        message = self.hotplug_failures.pop((vm.vmid, key), None)
        if message is not None:
            raise HotplugProblem(message)

    def _usb_hotplug(self, vm, features):
        """$is_usb_hotplug_supported: feature usb, machine version 7.1 or later, ostype l26 or Windows > 7."""
        if 'usb' not in features:
            return False
        found = re.search(r'-(\d+)\.(\d+)', str(vm.config.get('machine', '')))
        if found and (int(found.group(1)), int(found.group(2))) < (7, 1):
            return False
        return vm.config.get('ostype') in ('l26', 'win8', 'win10', 'win11')

    def _hot_delete(self, vm, key, features):
        cfg = vm.config
        if key == 'hotplug':
            return SKIP if re.search(r'cpu|memory', str(cfg.get('hotplug', ''))) else None
        if key == 'tablet' or USB_KEY.match(key):
            ok = 'usb' in features if key == 'tablet' else self._usb_hotplug(vm, features)
        elif key == 'vcpus':
            ok = 'cpu' in features
        elif key == 'balloon':
            ok = str(cfg.get('balloon', '')) != '0'
        elif is_fast_plug(key) or key in ('cpuunits', 'cpulimit'):
            return None
        elif NET_KEY.match(key):
            ok = 'network' in features
        elif DRIVE_KEY.match(key):
            ok = 'disk' in features and not re.match(r'^(efidisk|ide|sata|tpmstate)\d+$', key)
        elif key == 'memory':
            ok = 'memory' in features
        else:
            ok = False
        if not ok:
            return SKIP
        self._attempt(vm, key)
        return None

    def _hot_set(self, vm, key, value, features):
        cfg = vm.config
        if key == 'hotplug':
            if re.search(r'memory', str(value)) or re.search(r'memory', str(cfg.get('hotplug', ''))):
                return SKIP
            if re.search(r'cpu', str(value)) or re.search(r'cpu', str(cfg.get('hotplug', ''))):
                return SKIP
            return None
        if key == 'tablet' or USB_KEY.match(key):
            ok = 'usb' in features if key == 'tablet' else self._usb_hotplug(vm, features)
        elif key == 'vcpus':
            ok = 'cpu' in features
        elif key == 'balloon':
            ok = (str(cfg.get('balloon', '1')) != '0') == (str(value) != '0')
        elif NET_KEY.match(key):
            ok = self._net_hot(cfg.get(key), value, features)
        elif DRIVE_KEY.match(key):
            if key in ('efidisk0', 'tpmstate0'):
                return SKIP
            ok = self._disk_hot(key, cfg.get(key), value, features)
        elif key == 'memory':
            if 'memory' not in features:
                return SKIP
            self._attempt(vm, key)
            if memory_mib(value) != memory_mib(cfg.get('memory', 512)) and memory_mib(value) < STATIC_MEMORY:
                raise HotplugProblem("memory can't be lower than {0} MB".format(STATIC_MEMORY))
            return None
        elif key in ('cpuunits', 'cpulimit'):
            ok = True
        elif key == 'agent':
            ok = self._agent_hot(cfg.get('agent'), value)
        else:
            return SKIP
        if not ok:
            return SKIP
        self._attempt(vm, key)
        return None

    @staticmethod
    def _net_hot(old, new, features):
        """vmconfig_update_net: live changes always; a replug or a new NIC needs feature network."""
        if old:
            before, after = parse_net(old), parse_net(new)
            replug = any(before.get(k) != after.get(k) for k in NET_REPLUG)
            if not replug and before.get('bridge') and after.get('bridge'):
                return True
        return 'network' in features

    @staticmethod
    def _disk_hot(key, old, new, features):
        """vmconfig_update_disk: CD-ROM media and throttles live; a new or replaced disk needs feature disk."""
        hot = 'disk' in features
        if old:
            before_vol, before = split_drive(old)
            after_vol, after = split_drive(new)
            if is_cdrom(before_vol, before):
                return True  # change_medium
            if before_vol != after_vol:
                return hot
            return not any(before.get(k) != after.get(k) for k in DISK_COLD)
        return hot and not re.match(r'^(ide|sata)\d+$', key)

    @staticmethod
    def _agent_hot(old, new):
        """vmconfig_update_agent: only fstrim_cloned_disks changes live, and only with an agent key set."""
        if not old or str(old) == '0':
            return False
        before, after = parse_agent(old), parse_agent(new)
        keys = (set(before) | set(after)) - {'fstrim_cloned_disks'}
        return all(before.get(k) == after.get(k) for k in keys)
