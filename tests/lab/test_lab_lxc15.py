"""The lab's container settings of issue 15 that the create task decides (arch and ostype), as PVE has them.
Each test names the PVE source file and function it follows."""

TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def create(api, vmid, **config):
    return api.wait_task(api.post('/nodes/pve1/lxc', vmid=vmid, ostemplate=TEMPLATE, rootfs='local-lvm:4', **config))


def test_create_keeps_a_given_arch_and_detects_it_otherwise(lab, api):
    """pve-container src/PVE/LXC/Setup.pm new: the architecture is detected from the template only when the
    config has none (`if (!defined($conf->{arch}))`); a given arch is kept."""
    create(api, 300)
    create(api, 301, arch='arm64')
    assert lab.pve.ct(300).config['arch'] == 'amd64'
    assert lab.pve.ct(301).config['arch'] == 'arm64'


def test_create_stores_the_detected_ostype_unless_unmanaged(lab, api):
    """pve-container src/PVE/LXC/Setup.pm new and src/PVE/LXC/Create.pm: the OS type is detected in the template
    and its plugin writes it to the config (Setup/Debian.pm: `$conf->{ostype} = "debian"`), whatever the
    request said ("got unexpected ostype" is only a warning); `unmanaged` skips detection and stays."""
    create(api, 310, ostype='ubuntu')
    create(api, 311, ostype='unmanaged')
    assert lab.pve.ct(310).config['ostype'] == 'debian'
    assert lab.pve.ct(311).config['ostype'] == 'unmanaged'
