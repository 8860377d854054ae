"""The lab's container settings of issue 15 that the create task decides (arch and ostype), as PVE has them.
Each test names the PVE source file and function it follows."""

from labtools import error_of

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


def test_timezone_must_be_host_utc_or_a_zone_of_zone_tab(lab, api):
    """pve-container src/PVE/LXC/Config.pm verify_ct_timezone (`host`) and pve-common src/PVE/JSONSchema.pm
    pve_verify_timezone (`UTC`, or the third column of /usr/share/zoneinfo/zone.tab); a failing format is a 400
    `invalid format - <message>` on the key (check_prop)."""
    lab.pve.add_ct(320, 'tz', node='pve1')
    path = '/nodes/pve1/lxc/320/config'
    for bad in ('CET', 'US/Eastern', 'Etc/UTC', 'Europe/Atlantis'):
        err = error_of(api.put, path, timezone=bad)
        assert err.status == 400
        assert err.errors == {'timezone': "invalid format - invalid time zone '{0}'\n".format(bad)}
    for good in ('host', 'UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires'):
        api.put(path, timezone=good)
        assert lab.pve.ct(320).config['timezone'] == good
    err = error_of(api.post, '/nodes/pve1/lxc', vmid=321, ostemplate=TEMPLATE, timezone='CET')
    assert err.status == 400 and 'timezone' in err.errors
