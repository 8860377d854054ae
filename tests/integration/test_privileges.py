"""The PVE role of playbooks/vars/access.yml (what playbooks/bootstrap-access.yml creates, docs/real-cluster.md
explains) is enough for site.yml and destroy.yml, and a missing privilege is named in the failure."""

import os
import re
import shutil

import yaml

from labtools import ROOT, run_playbook

ACCESS_VARS = os.path.join(ROOT, 'playbooks', 'vars', 'access.yml')


def documented_privileges():
    with open(ACCESS_VARS) as fh:
        return list(yaml.safe_load(fh)['iac_access_privileges'])


def token_env(lab, privileges, tmp_path):
    lab.pve.apitokens['automation@pve!ansible'] = 'token-secret-value'
    lab.pve.grant('automation@pve', '/', *privileges)
    conn = lab.connection()
    return {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': 'automation@pve',
            'PROXMOX_TOKEN_ID': 'ansible', 'PROXMOX_TOKEN_SECRET': 'token-secret-value',
            'PROXMOX_CA_PATH': conn['ca_path']}


def project(tmp_path):
    """The repository's playbooks with an inventory that has no connection variables."""
    target = tmp_path / 'project'
    shutil.copytree(os.path.join(ROOT, 'playbooks'), str(target))
    os.remove(str(target / 'inventory' / 'lab' / 'group_vars' / 'all' / 'connection.yml'))
    return target


def test_the_documented_role_is_enough(lab, tmp_path):
    privileges = documented_privileges()
    assert 'VM.Clone' in privileges and 'Mapping.Use' in privileges
    env = token_env(lab, privileges, tmp_path)
    target = project(tmp_path)
    inventory = target / 'inventory' / 'lab'
    site = run_playbook(lab, tmp_path, target / 'site.yml', env=env, inventory=inventory, name='site')
    site.assert_ok()
    assert sorted(vm.name for vm in lab.pve.vms if vm.name.startswith('demo-')) == ['demo-web-01', 'demo-web-02']
    destroy = run_playbook(lab, tmp_path, target / 'destroy.yml', env=env, inventory=inventory, name='destroy')
    destroy.assert_ok()
    assert [vm.name for vm in lab.pve.vms] == ['debian-12-golden', 'debian-12-golden-shared'] and lab.pve.cts == []
    assert lab.pve.mappings['dir'] == {} and lab.pve.mappings['pci'] == {}


def test_a_missing_privilege_is_named(lab, tmp_path):
    privileges = [p for p in documented_privileges() if p != 'VM.Clone']
    env = token_env(lab, privileges, tmp_path)
    target = project(tmp_path)
    run = run_playbook(lab, tmp_path, target / 'site.yml', env=env, inventory=target / 'inventory' / 'lab',
                       name='site')
    messages = [r['result'].get('msg', '') for r in run.failed]
    # demo-web-01 clones template 9000, demo-web-02 (on pve2) the shared template 9001.
    assert messages and all('HTTP 403' in m and re.search(r'Permission check failed \(/vms/900[01], VM.Clone\)', m)
                            for m in messages), messages
    assert not any(vm.name.startswith('demo-') for vm in lab.pve.vms)


def test_readme_and_docs_point_to_the_one_list():
    """The privileges are listed once (playbooks/vars/access.yml); README.md and docs/real-cluster.md point there
    and to the playbook instead of repeating them."""
    for doc in ('README.md', os.path.join('docs', 'real-cluster.md')):
        with open(os.path.join(ROOT, doc)) as fh:
            text = fh.read()
        assert 'playbooks/vars/access.yml' in text and 'bootstrap-access.yml' in text, doc
        assert not re.search(r'pveum role add', text), doc
    with open(os.path.join(ROOT, 'docs', 'real-cluster.md')) as fh:
        table = fh.read()
    for privilege in documented_privileges():
        assert '`{0}`'.format(privilege) in table, privilege
