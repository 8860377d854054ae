"""Security: TLS verified everywhere, secrets never shown, privileges explained, bad input refused before any write.

docs/reliability.md lists each case with the test that proves it (test_docs_list_every_case keeps them in step)."""

import json
import os
import re
import subprocess
import sys

import pytest

from labtools import ROOT, WAYS, run_modules
from test_vm import GOLDEN, SSH_KEY, add_vm


@pytest.fixture(params=WAYS)
def play(request, play):  # pylint: disable=redefined-outer-name
    """Each test of this file runs twice: modules in the worker, and each in its own process."""
    return run_modules(request.param, play)


CT_TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'
MODULES = ('pve_vm', 'pve_lxc', 'pve_virtiofs', 'pve_hostpci', 'pve_dir_mapping', 'pve_pci_mapping',
           'pve_guest_info', 'pve_backup', 'pve_usb_mapping')

# (id, module, options, the option the message names, words in the message). Every one must fail before any
# write request reaches the lab. Injection attempts try to smuggle keys into PVE's property strings
# (`,key=value`, `;`), into paths (`../`) or into shell-looking values.
BAD_INPUTS = [
    ('vm-name-comma', 'pve_vm', {'name': 'web,cores=64', 'clone': GOLDEN}, 'name', 'valid DNS name'),
    ('vm-name-newline', 'pve_vm', {'name': 'web\nmemory=1', 'clone': GOLDEN}, 'name', 'valid DNS name'),
    ('vm-vmid-small', 'pve_vm', {'vmid': 7, 'name': 'web-1', 'node': 'pve1'}, 'vmid', 'must be 100-999999999'),
    ('vm-vmid-type', 'pve_vm', {'vmid': 'one', 'name': 'web-1'}, 'vmid', 'int'),
    ('vm-node-path', 'pve_vm', {'name': 'web-1', 'node': '../pve1', 'clone': GOLDEN}, 'node', 'not a valid node name'),
    ('vm-memory-text', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'memory': '2G;rm'}, 'memory', 'memory size'),
    ('vm-bridge-inject', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN,
                                    'nets': [{'slot': 'net1', 'bridge': 'vmbr0,firewall=0'}]},
     'nets[0].bridge', 'bridge name'),
    ('vm-mac-bad', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'nets': [{'slot': 'net0', 'macaddr': 'zz:zz'}]},
     'nets[0].macaddr', 'MAC'),
    ('vm-ip-bad', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN,
                             'cloudinit': {'ipconfig': [{'ip': '10.0.0.5/24,gw6=::1'}]}},
     'cloudinit.ipconfig[0].ip', 'address'),
    ('vm-storage-inject', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'storage': 'local-lvm,size=1T'}, 'storage',
     'not a valid storage ID'),
    ('vm-disk-slot', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'disks': [{'slot': 'scsi0;x', 'size': '9G'}]},
     'disks[0].slot', 'not a disk slot'),
    ('vm-tag-semicolon', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'tags': ['a;b']}, 'tags', 'a tag has'),
    ('vm-size-shrink-text', 'pve_vm', {'name': 'web-1', 'clone': GOLDEN, 'disks': [{'slot': 'scsi0',
                                                                                    'size': 'huge'}]},
     'disks[0].size', 'size'),
    ('ct-name-equals', 'pve_lxc', {'name': 'ct=1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1'}, 'name',
     'valid DNS name'),
    ('ct-cidr-bad', 'pve_lxc', {'name': 'ct-1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                'nets': [{'slot': 'net0', 'name': 'eth0', 'bridge': 'vmbr0', 'ip': '10.1.2.3'}]},
     'nets[0].ip', 'prefix length'),
    ('ct-mount-relative', 'pve_lxc', {'name': 'ct-1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                      'mounts': [{'slot': 'mp0', 'storage': 'local-lvm', 'size': '1G',
                                                  'path': 'srv/data'}]},
     'mounts[0].path', 'absolute'),
    ('ct-mount-dotdot', 'pve_lxc', {'name': 'ct-1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                    'mounts': [{'slot': 'mp0', 'host_path': '/srv/../etc', 'path': '/data'}]},
     'mounts[0].host_path', '".." segments'),
    ('ct-mount-path-comma', 'pve_lxc', {'name': 'ct-1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                        'mounts': [{'slot': 'mp0', 'storage': 'local-lvm', 'size': '1G',
                                                    'path': '/data,ro=0'}]},
     'mounts[0].path', ','),
    ('ct-template-missing', 'pve_lxc', {'name': 'ct-1', 'ostemplate': 'local:vztmpl/nope.tar.zst', 'node': 'pve1',
                                        'rootfs': {'storage': 'local-lvm', 'size': '4G'}}, 'ostemplate', 'no'),
    ('ct-nameserver-bad', 'pve_lxc', {'name': 'ct-1', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                      'nameserver': ['1.1.1.1;evil']}, 'nameserver', 'address'),
    ('virtiofs-mapping-inject', 'pve_virtiofs', {'vmid': 300, 'mapping': 'data,cache=always'}, 'mapping',
     'must start with a letter'),
    ('virtiofs-slot-bad', 'pve_virtiofs', {'vmid': 300, 'mapping': 'shared-data', 'slot': 'virtiofs99'}, 'slot',
     'not a'),
    ('virtiofs-acl-without-xattr', 'pve_virtiofs', {'vmid': 300, 'mapping': 'shared-data', 'expose_acl': True,
                                                    'expose_xattr': False}, 'expose_acl', 'expose_xattr'),
    ('hostpci-address-inject', 'pve_hostpci', {'vmid': 300, 'host': '0000:01:00.0;0000:02:00.0,x-vga=1'}, 'host',
     'PCI address'),
    ('hostpci-hex-id', 'pve_hostpci', {'vmid': 300, 'host': '0000:01:00.0', 'vendor_id': '10de'}, 'vendor_id',
     '0x'),
    ('hostpci-both', 'pve_hostpci', {'vmid': 300, 'host': '0000:01:00.0', 'mapping': 'gpu'}, 'host', 'mapping'),
    ('hostpci-romfile-path', 'pve_hostpci', {'vmid': 300, 'host': '0000:01:00.0', 'romfile': '../../etc/passwd'},
     'romfile', 'file name'),
    ('dirmap-id-slash', 'pve_dir_mapping', {'id': '../etc', 'map': [{'node': 'pve1', 'path': '/srv/scratch'}]}, 'id',
     'must start with a letter'),
    ('dirmap-path-relative', 'pve_dir_mapping', {'id': 'data2', 'map': [{'node': 'pve1', 'path': 'srv/x'}]},
     'map[0].path', 'absolute'),
    ('dirmap-path-inject', 'pve_dir_mapping', {'id': 'data2', 'map': [{'node': 'pve1', 'path': '/srv/x,node=pve2'}]},
     'map[0].path', ','),
    ('dirmap-node-bad', 'pve_dir_mapping', {'id': 'data2', 'map': [{'node': 'pve 1', 'path': '/srv/x'}]},
     'map[0].node', 'not a valid node name'),
    ('pcimap-id-newline', 'pve_pci_mapping', {'id': 'gpu\nx', 'map': [{'node': 'pve1', 'path': '0000:01:00.0'}]},
     'id', 'must start with a letter'),
    ('pcimap-path-bad', 'pve_pci_mapping', {'id': 'gpu2', 'map': [{'node': 'pve1', 'path': '01:00.0;rm'}]},
     'map[0].path', 'PCI address'),
    ('usbmap-id-inject', 'pve_usb_mapping', {'id': 'key', 'map': [{'node': 'pve1', 'id': '1050:0407,node=pve2'}]},
     'map[0].id', 'vendor:device'),
    ('usbmap-path-bad', 'pve_usb_mapping', {'id': 'key', 'map': [{'node': 'pve1', 'path': '1-2;rm'}]},
     'map[0].path', 'USB port path'),
    ('info-type-bad', 'pve_guest_info', {'type': 'vm;lxc'}, 'type', 'one of'),
    ('info-tags-bad', 'pve_guest_info', {'tags': ['ok', 'a,b']}, 'tags', 'a tag has'),
    ('backup-storage-inject', 'pve_backup', {'vmid': 9000, 'storage': 'local --remove 1'}, 'storage', 'storage ID'),
    ('backup-mode-bad', 'pve_backup', {'vmid': 9000, 'storage': 'local', 'mode': 'hot'}, 'mode', 'one of'),
    ('backup-max-age-negative', 'pve_backup', {'vmid': 9000, 'storage': 'local', 'max_age': -1}, 'max_age', '0'),
]


def test_the_bad_input_table_covers_every_module_with_thirty_cases():
    assert len(BAD_INPUTS) >= 30 and len(set(case[0] for case in BAD_INPUTS)) == len(BAD_INPUTS)
    assert set(case[1] for case in BAD_INPUTS) == set(MODULES)


def test_bad_inputs_fail_clearly_before_any_write(lab, play):
    add_vm(lab, 300, 'target', machine='q35')
    tasks = [{'name': case, 'iac.proxmox.' + module: args, 'ignore_errors': True}
             for case, module, args, _option, _words in BAD_INPUTS]
    run = play(tasks)
    assert run.writes == []
    for case, _module, _args, option, words in BAD_INPUTS:
        result = run.task(case)
        assert result.get('failed') is True, (case, result)
        msg = result['msg']
        assert option in msg and words in msg, (case, msg)


# ---------------------------------------------------------------------- TLS

def ansible_doc(kind, name):
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-doc'), '--json', '-t', kind, name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True,
                         env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections')))
    return json.loads(out.stdout)[name]['doc']


@pytest.mark.parametrize('kind,name', [('module', 'iac.proxmox.' + m) for m in MODULES] +
                         [('inventory', 'iac.proxmox.pve')])
def test_tls_is_verified_by_default_and_ca_path_is_offered(kind, name):
    options = ansible_doc(kind, name)['options']
    assert options['validate_certs']['default'] is True
    assert options['validate_certs']['type'] == 'bool' and options['ca_path']['type'] == 'path'


# Where verification is turned off on purpose, and why.
VERIFICATION_OFF_ALLOWED = {
    # The test that validate_certs: false still works and warns.
    'tests/integration/test_connection.py',
    # A pinned tls_fingerprint replaces the CA chain check: requests is told not to check the chain, and urllib3's
    # assert_fingerprint checks the certificate itself.
    'plugins/module_utils/_client.py',
}


def test_no_test_playbook_or_doc_example_turns_verification_off():
    found = []
    for top in ('tests', 'playbooks', 'roles', 'extensions', 'plugins'):
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith(('.py', '.yml', '.yaml', '.ini', '.cfg')) or name == 'test_security.py':
                    continue
                with open(os.path.join(folder, name), encoding='utf-8', errors='replace') as fh:
                    text = fh.read()
                if re.search(r'validate_certs\s*[:=]\s*(false|False|no)\b|verify\s*=\s*False|VALIDATE_CERTS.*(false|0)',
                             text):
                    found.append(os.path.relpath(os.path.join(folder, name), ROOT))
    assert sorted(set(found) - VERIFICATION_OFF_ALLOWED) == []


# ---------------------------------------------------------------------- secrets

SECRETS = {'cloud-init password': 'Ci-Secr3t-7731', 'container password': 'Ct-Secr3t-5519'}


def test_secrets_never_appear_in_verbose_output_diffs_results_or_failures(lab, play, tmp_path):
    add_vm(lab, 310, 'secret-vm')
    add_vm(lab, 311, 'secret-vm-2')
    lab.pve.fail_fields('PUT', '/qemu/311/config', {'cipassword': 'value does not match the regex pattern'})
    api_password = lab.connection(auth='password')['api_password']
    token_secret = lab.connection()['api_token_secret']
    ci = {'user': 'admin', 'password': SECRETS['cloud-init password'], 'ssh_keys': [SSH_KEY]}
    ct = {'name': 'secret-ct', 'ostemplate': CT_TEMPLATE, 'node': 'pve1', 'password': SECRETS['container password'],
          'rootfs': {'storage': 'local-lvm', 'size': '4G'}}
    tasks = [
        {'name': 'vm', 'iac.proxmox.pve_vm': {'name': 'secret-vm', 'cloudinit': ci}},
        {'name': 'vm again', 'iac.proxmox.pve_vm': {'name': 'secret-vm', 'cloudinit': ci}},
        {'name': 'ct', 'iac.proxmox.pve_lxc': ct},
        {'name': 'info', 'iac.proxmox.pve_guest_info': {'name': 'secret-vm'}},
        # Failures: PVE refuses, and validation refuses, with the secrets in the same task.
        {'name': 'fails at PVE', 'iac.proxmox.pve_vm': {'name': 'secret-vm-2', 'cloudinit': ci, 'cores': 3},
         'ignore_errors': True},
        {'name': 'fails in validation', 'iac.proxmox.pve_lxc': dict(ct, nets=[{'slot': 'net0', 'ip': 'x'}]),
         'ignore_errors': True},
        {'name': 'golden', 'ansible.builtin.include_role': {'name': 'iac.proxmox.golden_image'},
         'vars': {'golden_image_name': 'secret-clone', 'golden_image_template': GOLDEN,
                  'golden_image_cloudinit': ci, 'golden_image_delegate_to': 'localhost'}},
    ]
    runs = [play(tasks, auth='password', diff=True, args=('-vvv',)),
            play(tasks, auth='token', diff=True, check=True, args=('-vvv',))]
    tickets = list(lab.pve.tickets)  # every ticket the password run's logins were given
    assert tickets
    assert runs[0].status('fails at PVE') == 'failed'  # in check mode (runs[1]) nothing reaches PVE
    assert 'cipassword: value does not match' in runs[0].task('fails at PVE')['msg']
    for run in runs:
        assert run.status('vm') in ('ok', 'changed') and run.status('fails in validation') == 'failed', run.output
        text = run.stdout + run.stderr + json.dumps(run.results)
        for what, secret in dict(SECRETS, api_password=api_password, api_token_secret=token_secret).items():
            assert secret not in text, what
        for ticket in tickets:
            assert ticket not in text, 'the login ticket'
    # The lab received them (the writes really carried them), so the scan above looked for the real values.
    assert lab.pve.vm(310).config['cipassword'].startswith('$5$')
    assert any(b'password=' in body for m, p, body in runs[0].writes if p == '/nodes/pve1/lxc')


# ---------------------------------------------------------------------- the documentation

def test_docs_list_every_case():
    with open(os.path.join(ROOT, 'docs', 'reliability.md')) as fh:
        doc = fh.read()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ('test_reliability.py', 'test_security.py'):
        with open(os.path.join(here, name)) as fh:
            tests = re.findall(r'^def (test_\w+)', fh.read(), re.M)
        missing = [t for t in tests if t not in doc and t != 'test_docs_list_every_case']
        assert missing == [], name
    assert [case[0] for case in BAD_INPUTS if '`{0}`'.format(case[0]) not in doc] == []
