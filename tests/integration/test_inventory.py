"""The iac.proxmox.pve inventory plugin through ansible-inventory against the lab."""

import json
import os
import subprocess
import sys

import yaml

from labtools import ansible_env
from test_lxc import add_ct
from test_vm import add_vm


def inventory(lab, tmp_path, env=None, **options):
    config = {'plugin': 'iac.proxmox.pve'}
    config.update(options)
    path = tmp_path / 'cluster.pve.yml'
    path.write_text(yaml.safe_dump(config))
    mark = lab.pve.mark()
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path), '--list']
    proc = subprocess.run(cmd, env=ansible_env(tmp_path, tmp_path / 'unused.jsonl', env), cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return plain(json.loads(proc.stdout)), lab.pve.api_requests(mark), proc.stderr


def plain(value):
    """ansible-inventory --list marks data from the API as unsafe ({'__ansible_unsafe': value}): unwrap it."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def hosts_of(data, group):
    return sorted(data.get(group, {}).get('hosts', []))


def test_guests_grouped_from_one_request(lab, tmp_path):
    add_vm(lab, 800, 'web-1', tags='web;prod', status='running')
    add_vm(lab, 801, 'web-2', tags='web', node='pve2')
    add_ct(lab, 802, 'cache-1', tags='prod', status='running')
    data, requests, _err = inventory(lab, tmp_path, **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert sorted(hostvars) == ['cache-1', 'web-1', 'web-2']  # the golden template is left out
    assert hosts_of(data, 'pve_node_pve1') == ['cache-1', 'web-1'] and hosts_of(data, 'pve_node_pve2') == ['web-2']
    assert hosts_of(data, 'pve_type_qemu') == ['web-1', 'web-2'] and hosts_of(data, 'pve_type_lxc') == ['cache-1']
    assert hosts_of(data, 'pve_tag_prod') == ['cache-1', 'web-1'] and hosts_of(data, 'pve_status_running') == [
        'cache-1', 'web-1']
    assert hostvars['web-1']['pve_vmid'] == 800 and hostvars['web-1']['pve_tags'] == ['prod', 'web']
    assert 'ansible_host' not in hostvars['web-1']
    assert [(m, p) for m, p, b in requests] == [('GET', '/cluster/resources')]


def test_guests_sharing_a_name_are_left_out_with_a_warning(lab, tmp_path):
    """PVE lets guests share a name (qemu-server API2/Qemu.pm create_vm/update_vm check only its format). One
    inventory host for both carried one guest's variables in the other's groups (the stopped VM 821 on pve2 in
    pve_status_running and pve_node_pve1), and a play against `web` acted on either: both are left out, with a
    warning; hostname: vmid lists them."""
    add_vm(lab, 820, 'web', tags='a', status='running')
    add_vm(lab, 821, 'web', tags='b', node='pve2')
    add_vm(lab, 822, 'db')
    data, _requests, err = inventory(lab, tmp_path, **lab.connection())
    assert sorted(data['_meta']['hostvars']) == ['db']
    assert hosts_of(data, 'pve_status_running') == [] and hosts_of(data, 'pve_node_pve1') == ['db']
    assert 'web stands for several guests (VMIDs 820, 821), so none of them is an inventory host' in \
        ' '.join(err.split()), err
    data, _requests, err = inventory(lab, tmp_path, hostname='vmid', **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert sorted(hostvars) == ['820', '821', '822'] and 'several guests' not in err
    assert hostvars['821']['pve_node'] == 'pve2' and hosts_of(data, 'pve_status_running') == ['820']


def test_a_thousand_guests_cost_one_request(lab, tmp_path):
    for n in range(1000):
        lab.pve.add_vm(1000 + n, 'fleet-{0:04d}'.format(n), node='pve1' if n % 2 else 'pve2',
                       config={'tags': 'fleet'})
    data, requests, _err = inventory(lab, tmp_path, tags=['fleet'], **lab.connection())
    assert len(data['_meta']['hostvars']) == 1000
    assert len(hosts_of(data, 'pve_node_pve2')) == 500
    assert len(requests) == 1


def test_addresses_from_agent_and_interfaces(lab, tmp_path):
    add_vm(lab, 810, 'app', status='running', agent='1', ipconfig0='ip=10.40.0.10/24,gw=10.40.0.1')
    add_vm(lab, 811, 'off', status='stopped', agent='1')
    add_ct(lab, 812, 'ct', status='running', net0='name=eth0,bridge=vmbr0,ip=10.40.0.12/24,type=veth')
    data, requests, _err = inventory(lab, tmp_path, addresses=True, address_workers=2, **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert hostvars['app']['ansible_host'] == '10.40.0.10' and hostvars['ct']['ansible_host'] == '10.40.0.12'
    assert 'ansible_host' not in hostvars['off']
    # One listing, then one address read per running guest (none for the stopped one).
    assert sorted(p for m, p, b in requests) == ['/cluster/resources', '/nodes/pve1/lxc/812/interfaces',
                                                 '/nodes/pve1/qemu/810/agent/network-get-interfaces']


def test_filters_and_constructed_groups(lab, tmp_path):
    add_vm(lab, 820, 'db-1', tags='db', status='running')
    add_vm(lab, 821, 'db-2', tags='db', node='pve2')
    add_ct(lab, 822, 'db-ct', tags='db', status='running')
    data, _requests, _err = inventory(
        lab, tmp_path, running_only=True, types=['qemu'], include_templates=False, hostname='vmid',
        keyed_groups=[{'key': 'pve_node', 'prefix': 'on'}], groups={'databases': "'db' in pve_tags"},
        compose={'ansible_user': "'debian'"}, **lab.connection())
    hostvars = data['_meta']['hostvars']
    assert sorted(hostvars) == ['820']
    assert hosts_of(data, 'on_pve1') == ['820'] and hosts_of(data, 'databases') == ['820']
    assert hostvars['820']['ansible_user'] == 'debian'
    nodes, _requests, _err = inventory(lab, tmp_path, nodes=['pve2'], include_templates=True, **lab.connection())
    assert sorted(nodes['_meta']['hostvars']) == ['db-2']


def test_environment_only_connection_and_cache(lab, tmp_path):
    add_vm(lab, 830, 'env-vm')
    conn = lab.connection()
    env = {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': 'root@pam',
           'PROXMOX_TOKEN_ID': conn['api_token_id'], 'PROXMOX_TOKEN_SECRET': conn['api_token_secret'],
           'PROXMOX_CA_PATH': conn['ca_path'], 'ANSIBLE_INVENTORY_CACHE': 'true',
           'ANSIBLE_INVENTORY_CACHE_PLUGIN': 'ansible.builtin.jsonfile',
           'ANSIBLE_INVENTORY_CACHE_CONNECTION': str(tmp_path / 'cache')}
    first, requests, _err = inventory(lab, tmp_path, env=env, cache=True)
    assert sorted(first['_meta']['hostvars']) == ['env-vm'] and len(requests) == 1
    second, requests, _err = inventory(lab, tmp_path, env=env, cache=True)
    assert second['_meta']['hostvars'] == first['_meta']['hostvars'] and requests == []


def test_tls_verified_and_errors_clear(lab, tmp_path):
    conn = lab.connection()
    conn.pop('ca_path')
    config = {'plugin': 'iac.proxmox.pve', **conn}
    path = tmp_path / 'bad.pve.yml'
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path),
                           '--list'], env=ansible_env(tmp_path, tmp_path / 'x.jsonl'), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert 'TLS verification of' in proc.stderr and 'ca_path' in proc.stderr


def test_a_refused_api_token_names_the_token_options(lab, tmp_path):
    config = dict({'plugin': 'iac.proxmox.pve'}, **dict(lab.connection(), api_token_secret='deadbeef-0000'))
    path = tmp_path / 'refused.pve.yml'
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path),
                           '--list', '-vvv'], env=ansible_env(tmp_path, tmp_path / 'x.jsonl'), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    text = ' '.join(proc.stderr.split())
    assert 'authentication failed for the API token root@pam!lab: check api_token_id and api_token_secret' in text, \
        proc.stderr
    assert 'deadbeef' not in proc.stdout + proc.stderr
