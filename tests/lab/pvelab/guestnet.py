"""What a QEMU guest's network looks like from inside: the lab computes it as a real guest gets it, never
from what a client just wrote.

PVE side (qemu-server):
* The cloud-init drive is generated from the config when the VM starts (src/PVE/QemuServer.pm
  vm_start_nolock: pending changes are applied, then PVE::QemuServer::Cloudinit::apply_cloudinit_config),
  and when asked (PUT /nodes/{node}/qemu/{vmid}/cloudinit). A reboot through the API is a shutdown and a new
  start, so it regenerates the drive too; a reset does not.
* On a running VM the cloud-init options are applied to the config at once ($fast_plug_option in
  vmconfig_hotplug_pending), the old values recorded for GET .../cloudinit - the drive keeps what it had.
* The network part of the drive (src/PVE/QemuServer/Cloudinit.pm nocloud_network, configdrive2_network):
  one entry per netN that has an ipconfigN, matched by the NIC's MAC; `ip=dhcp` asks DHCP, `ip=A/P` is
  static; `ip6=A/P` static, `dhcp`/`auto` left to the network.

Guest side: cloud-init reads the drive at boot (its instance-id is a hash of the data, so changed data is
applied at the next boot). A NIC the drive does not configure gets no address; without a cloud-init drive
the image's own fallback configures DHCP on its first NIC. DHCP leases come from the lab's DHCP server: one
pool per bridge (and VLAN tag), one address per MAC, handed out in order.
"""

import ipaddress
import re

CLOUDINIT_PREFIXES = ('ci', 'ipconfig', 'sshkeys', 'nameserver', 'searchdomain')
NET_KEY = re.compile(r'^net(\d+)$')
NET_MODELS = ('virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa',
              'ne2k_pci', 'pcnet')


def has_cloudinit_drive(config):
    return any(re.match(r'^(ide|sata|scsi|virtio)\d+$', k) and 'cloudinit' in str(v) for k, v in config.items())


def cloudinit_data(config):
    """What a generated drive holds: the cloud-init options, and the NICs (for their MACs)."""
    return dict((k, v) for k, v in config.items() if k.startswith(CLOUDINIT_PREFIXES) or NET_KEY.match(k))


def props(value):
    out = {}
    for part in str(value or '').split(','):
        if '=' in part:
            key, item = part.split('=', 1)
            out[key] = item
    return out


def nic(value):
    """(mac, bridge, tag) of a netN value."""
    data = props(value)
    mac = next((data[m] for m in NET_MODELS if m in data), None)
    return (mac or '').lower(), data.get('bridge'), data.get('tag')


class DhcpServer(object):
    """The lab's DHCP: a pool per segment (bridge, VLAN tag), a stable lease per MAC."""

    def __init__(self):
        self.pools = {}   # segment -> ipaddress.IPv4Network
        self.leases = {}  # (segment, mac) -> address

    def pool(self, segment):
        if segment not in self.pools:
            self.pools[segment] = ipaddress.ip_network('198.18.{0}.0/24'.format(len(self.pools)))
        return self.pools[segment]

    def lease(self, bridge, tag, mac):
        segment = '{0}.{1}'.format(bridge, tag) if tag else str(bridge)
        if (segment, mac) not in self.leases:
            network = self.pool(segment)
            taken = set(a for (s, _m), a in self.leases.items() if s == segment)
            hosts = (str(h) for h in network.hosts() if int(h) - int(network.network_address) >= 100)
            self.leases[(segment, mac)] = next(h for h in hosts if h not in taken)
        return self.leases[(segment, mac)], self.pools[segment].prefixlen


def boot(drive, config, dhcp):
    """The guest's interfaces after a boot with this cloud-init drive (None: no drive) and these NICs."""
    nics = sorted((int(NET_KEY.match(k).group(1)), v) for k, v in config.items() if NET_KEY.match(k))
    interfaces = []
    for index, value in nics:
        mac, bridge, tag = nic(value)
        addresses = []
        if drive is None:
            ipconfig = {'ip': 'dhcp'} if index == nics[0][0] else {}
        else:
            ipconfig = props(drive.get('ipconfig{0}'.format(index))) if 'ipconfig{0}'.format(index) in drive else {}
            # The drive matches the NIC by the MAC it was generated with.
            if ipconfig and nic(drive.get('net{0}'.format(index)))[0] != mac:
                ipconfig = {}
        ip = ipconfig.get('ip')
        if ip == 'dhcp':
            address, prefix = dhcp.lease(bridge, tag, mac)
            addresses.append({'ip-address': address, 'ip-address-type': 'ipv4', 'prefix': prefix})
        elif ip and '/' in ip:
            address, prefix = ip.split('/', 1)
            addresses.append({'ip-address': address, 'ip-address-type': 'ipv4', 'prefix': int(prefix)})
        ip6 = ipconfig.get('ip6')
        if ip6 and '/' in ip6:
            address, prefix = ip6.split('/', 1)
            addresses.append({'ip-address': address, 'ip-address-type': 'ipv6', 'prefix': int(prefix)})
        interfaces.append({'name': 'eth{0}'.format(index), 'hardware-address': mac, 'ip-addresses': addresses})
    return interfaces
