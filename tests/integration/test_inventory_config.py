"""The iac.proxmox.pve inventory's want_config: each guest's configuration as pve_config, one request per guest,
usable by keyed_groups and compose; templates in their own group."""

from test_inventory import hosts_of, inventory
from test_lxc import add_ct
from test_vm import add_vm

# Free text with what would look like a property string's structure: it must come through untouched.
DESCRIPTION = 'owner=team-a, tier=gold\nSecond line: a;b=c'


def seed(lab):
    add_vm(lab, 840, 'web-1', status='running', tags='web;prod', description=DESCRIPTION, cores=4, memory='4096',
           agent='enabled=1,fstrim_cloned_disks=1', ipconfig0='ip=10.40.0.40/24,gw=10.40.0.1',
           net1='e1000=BC:24:11:00:01:48,bridge=vmbr1,tag=40,firewall=1', cipassword='$5$hash')
    add_vm(lab, 841, 'web-2', node='pve2', tags='web', agent='0')
    add_ct(lab, 842, 'cache-1', tags='prod;cache', status='running', cores=2)


def test_config_of_every_guest_parsed_with_one_request_each(lab, tmp_path):
    seed(lab)
    data, requests, _err = inventory(lab, tmp_path, want_config=True, address_workers=2, **lab.connection())
    hostvars = data['_meta']['hostvars']
    # One listing, then exactly one config read per guest - nothing else.
    assert sorted(p for m, p, b in requests) == ['/cluster/resources', '/nodes/pve1/lxc/842/config',
                                                 '/nodes/pve1/qemu/840/config', '/nodes/pve2/qemu/841/config']
    assert all(m == 'GET' for m, p, b in requests)
    web = hostvars['web-1']['pve_config']
    assert web['description'] == DESCRIPTION
    assert web['tags'] == ['prod', 'web'] and web['cores'] == 4 and web['memory'] == 4096
    assert web['net0'] == {'model': 'virtio', 'macaddr': 'BC:24:11:00:00:48', 'bridge': 'vmbr0'}
    assert web['net1'] == {'model': 'e1000', 'macaddr': 'BC:24:11:00:01:48', 'bridge': 'vmbr1', 'tag': '40',
                           'firewall': '1'}
    assert web['agent'] == {'enabled': '1', 'fstrim_cloned_disks': '1'}
    assert web['ipconfig0'] == {'ip': '10.40.0.40/24', 'gw': '10.40.0.1'}
    assert web['cipassword'] == '********' and 'digest' not in web
    assert web['scsi0'] == 'local-lvm:vm-840-disk-0,size=8G'  # other keys as PVE stores them
    assert hostvars['web-2']['pve_config']['agent'] == {'enabled': '0'}
    cache = hostvars['cache-1']['pve_config']
    assert cache['net0'] == {'name': 'eth0', 'bridge': 'vmbr0', 'hwaddr': 'BC:24:11:00:10:4A', 'ip': 'dhcp',
                             'type': 'veth'}
    assert cache['tags'] == ['cache', 'prod'] and cache['memory'] == 512 and cache['cores'] == 2


def test_without_want_config_no_config_is_read(lab, tmp_path):
    seed(lab)
    data, requests, _err = inventory(lab, tmp_path, **lab.connection())
    assert [(m, p) for m, p, b in requests] == [('GET', '/cluster/resources')]
    assert all('pve_config' not in h for h in data['_meta']['hostvars'].values())


def test_keyed_groups_and_compose_from_the_config(lab, tmp_path):
    seed(lab)
    data, _requests, _err = inventory(
        lab, tmp_path, want_config=True,
        keyed_groups=[{'key': 'pve_config.tags', 'prefix': 'cfgtag'},
                      {'key': 'pve_config.net0.bridge', 'prefix': 'bridge'}],
        compose={'notes': "pve_config.description | default('')",
                 'first_line': "pve_config.description | default('') | split('\\n') | first",
                 'agent_on': "pve_config.agent.enabled | default('0') == '1'"},
        groups={'with_agent': "pve_config.agent.enabled | default('0') == '1'"}, **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert hosts_of(data, 'cfgtag_prod') == ['cache-1', 'web-1'] and hosts_of(data, 'cfgtag_web') == ['web-1', 'web-2']
    assert hosts_of(data, 'bridge_vmbr0') == ['cache-1', 'web-1', 'web-2']
    assert hostvars['web-1']['notes'] == DESCRIPTION
    assert hostvars['web-1']['first_line'] == 'owner=team-a, tier=gold'
    assert hostvars['web-1']['agent_on'] is True and hostvars['web-2']['agent_on'] is False
    assert hosts_of(data, 'with_agent') == ['web-1']


def test_templates_get_their_own_group(lab, tmp_path):
    seed(lab)
    data, requests, _err = inventory(lab, tmp_path, include_templates=True, want_config=True, **lab.connection())
    # The seeded golden templates (9000 on local-lvm, 9001 on nfs.01).
    assert hosts_of(data, 'pve_template') == ['debian-12-golden', 'debian-12-golden-shared']
    golden = data['_meta']['hostvars']['debian-12-golden']
    assert golden['pve_template'] is True and golden['pve_config']['template'] in (1, '1')
    assert '/nodes/pve1/qemu/9000/config' in [p for m, p, b in requests]
    without, _requests, _err = inventory(lab, tmp_path, **lab.connection())
    assert 'pve_template' not in without and 'debian-12-golden' not in without['_meta']['hostvars']


def test_a_guest_on_an_offline_node_gets_no_config_and_a_warning(lab, tmp_path):
    seed(lab)
    lab.pve.set_node_offline('pve2')
    data, _requests, err = inventory(lab, tmp_path, want_config=True, **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert 'pve_config' in hostvars['web-1']
    assert hostvars['web-2']['pve_status'] == 'unknown' and 'pve_config' not in hostvars['web-2']
    assert 'no pve_config for web-2: GET /nodes/pve2/qemu/841/config failed (HTTP 595)' in err
