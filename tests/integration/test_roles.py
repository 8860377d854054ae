"""The roles golden_image and safe_destroy, the scalable pattern (one inventory host per guest, delegated)."""

import sys

import pytest
import yaml

from labtools import run_playbook
from test_lxc import add_ct
from test_vm import add_vm

GOLDEN = 'debian-12-golden'


def inventory(hosts, **host_vars):
    """An inventory with localhost and one host per guest (vars per host: host_vars[name])."""
    lines = ['localhost ansible_connection=local ansible_python_interpreter={0}'.format(sys.executable), '[guests]']
    for host in hosts:
        extra = ' '.join('{0}={1}'.format(k, v) for k, v in host_vars.get(host, {}).items())
        lines.append('{0} ansible_connection=local ansible_python_interpreter={1} {2}'.format(
            host, sys.executable, extra).rstrip())
    return '\n'.join(lines) + '\n'


def role_play(lab, tmp_path, role, hosts, role_vars, name='roles', check=False, diff=False, args=(), host_vars=None):
    play = {'name': name, 'hosts': 'guests', 'gather_facts': False,
            'module_defaults': {'group/iac.proxmox.pve': lab.connection()},
            'roles': [{'role': 'iac.proxmox.' + role, 'vars': role_vars}]}
    path = tmp_path / '{0}.yml'.format(name)
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    inv = tmp_path / '{0}-inventory.ini'.format(name)
    inv.write_text(inventory(hosts, **(host_vars or {})))
    return run_playbook(lab, tmp_path, path, check=check, diff=diff, args=args, inventory=inv, name=name)


def results(run, task_suffix):
    return dict((r['host'], r) for r in run.results if r['task'].endswith(task_suffix))


# ---------------------------------------------------------------------- golden_image

def test_golden_image_builds_the_full_spec_and_reports_facts(lab, tmp_path):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data'])
    lab.pve.add_mapping('pci', 'gpu', ['id=10de:2204,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3'])
    role_vars = {'golden_image_template': GOLDEN, 'golden_image_cores': 4, 'golden_image_memory': '4G',
                 'golden_image_tags': ['web', 'ephemeral'],
                 'golden_image_nets': [{'slot': 'net0', 'bridge': 'vmbr0', 'link_down': False, 'tag': 20}],
                 'golden_image_disks': [{'slot': 'scsi0', 'size': '16G'}],
                 'golden_image_cloudinit': {'user': 'ops', 'ssh_keys': ['ssh-ed25519 AAAAC3Nza ops@ci'],
                                            'ipconfig': [{'ip': '10.20.0.31/24', 'gw': '10.20.0.1'}]},
                 'golden_image_virtiofs': [{'mapping': 'shared-data', 'cache': 'always'}],
                 'golden_image_hostpci': [{'mapping': 'gpu', 'pcie': True, 'x_vga': True}],
                 'golden_image_wait_for_agent': True}
    first = role_play(lab, tmp_path, 'golden_image', ['gi-01'], role_vars, name='gi')
    first.assert_ok()
    [vm] = [v for v in lab.pve.vms if v.name == 'gi-01']
    assert vm.status == 'running' and vm.config['memory'] == '4096' and 'tag=20' in vm.config['net0']
    assert vm.config['virtiofs0'] == 'shared-data,cache=always'
    assert vm.config['hostpci0'] == 'mapping=gpu,pcie=1,x-vga=1' and 'size=16G' in vm.config['scsi0']
    facts = results(first, 'Facts of gi-01')['gi-01']['result']['ansible_facts']['golden_image_guest']
    assert facts == {'vmid': vm.vmid, 'node': 'pve1', 'name': 'gi-01', 'status': 'running', 'ip': '10.20.0.31',
                     'reboot_required': False}
    again = role_play(lab, tmp_path, 'golden_image', ['gi-01'], role_vars, name='gi-again')
    again.assert_ok()
    assert again.changed == 0 and again.writes == []


def test_golden_image_twenty_guests_with_ten_forks(lab, tmp_path):
    hosts = ['fleet-{0:02d}'.format(n) for n in range(1, 21)]
    run = role_play(lab, tmp_path, 'golden_image', hosts, {'golden_image_template': GOLDEN, 'golden_image_cores': 1},
                    name='fleet', args=('--forks', '10'))
    run.assert_ok()
    made = [vm for vm in lab.pve.vms if vm.name.startswith('fleet-')]
    assert sorted(vm.name for vm in made) == hosts
    assert len(set(vm.vmid for vm in made)) == 20 and all(vm.status == 'running' for vm in made)
    facts = results(run, 'Facts of {0}'.format(hosts[0]))
    assert len(facts) == 20
    assert sorted(r['result']['ansible_facts']['golden_image_guest']['vmid'] for r in facts.values()) == \
        sorted(vm.vmid for vm in made)


@pytest.mark.parametrize('role_vars,words', [
    ({'golden_image_template': GOLDEN, 'golden_image_cores': 'many'}, 'golden_image_cores'),
    ({}, 'golden_image_template'),
    ({'golden_image_template': GOLDEN, 'golden_image_state': 'exploded'}, 'golden_image_state'),
])
def test_golden_image_validates_its_arguments(lab, tmp_path, role_vars, words):
    run = role_play(lab, tmp_path, 'golden_image', ['bad-01'], role_vars, name='badargs')
    failed = run.failed
    assert failed and failed[0]['task'].startswith('Validating arguments against arg spec')
    msg = failed[0]['result']['msg']
    assert words in msg and 'Validation of arguments failed' in msg
    assert run.requests == []


# ---------------------------------------------------------------------- safe_destroy

def test_safe_destroy_guards_refuse_and_write_nothing(lab, tmp_path):
    add_vm(lab, 600, 'no-tag', tags='demo')
    add_vm(lab, 601, 'guarded', tags='ephemeral', protection='1', status='running')
    add_vm(lab, 602, 'prod-db', tags='ephemeral')
    hosts = [GOLDEN, 'no-tag', 'guarded', 'prod-db']
    run = role_play(lab, tmp_path, 'safe_destroy', hosts, {'safe_destroy_name_pattern': '^(no-tag|guarded|debian)'},
                    name='guards')
    failures = dict((r['host'], r['result']['msg']) for r in run.failed)
    assert set(failures) == set(hosts)
    assert 'it is a template' in failures[GOLDEN] and 'VM 9000 (debian-12-golden)' in failures[GOLDEN]
    assert "does not carry the tag 'ephemeral' (tags: demo)" in failures['no-tag']
    assert 'it is protected' in failures['guarded']
    assert "does not match safe_destroy_name_pattern '^(no-tag|guarded|debian)'" in failures['prod-db']
    assert all('Nothing was changed' in msg for msg in failures.values())
    assert run.writes == []
    assert all(lab.pve.vm(vmid) is not None for vmid in (9000, 600, 601, 602))


def test_safe_destroy_refuses_a_snapshot_as_the_kept_copy_before_any_request(lab, tmp_path):
    """A snapshot would be destroyed with the guest's volumes: asking for one fails before any request, and
    names the option that does keep a copy."""
    add_vm(lab, 605, 'snap-me', tags='ephemeral')
    run = role_play(lab, tmp_path, 'safe_destroy', ['snap-me'], {'safe_destroy_snapshot': 'before-destroy'},
                    name='snap')
    [failure] = run.failed
    assert 'safe_destroy refused safe_destroy_snapshot=before-destroy' in failure['result']['msg']
    assert 'safe_destroy_backup_storage' in failure['result']['msg']
    assert run.requests == [] and lab.pve.vm(605) is not None


def test_safe_destroy_override_and_check_mode(lab, tmp_path):
    add_vm(lab, 610, 'scratch', tags='demo', status='running')
    add_ct(lab, 611, 'scratch-ct', tags='ephemeral')
    check = role_play(lab, tmp_path, 'safe_destroy', ['scratch', 'scratch-ct'],
                      {'safe_destroy_override_guards': True}, name='check', check=True)
    check.assert_ok()
    assert check.writes == []
    messages = [r['result']['msg'] for r in check.results if r['task'] == 'Report what was destroyed']
    assert sorted(messages) == ['Would destroy CT 611 (scratch-ct) on pve1 (stopped).',
                                'Would destroy VM 610 (scratch) on pve1 (running, stopped graceful).']
    real = role_play(lab, tmp_path, 'safe_destroy', ['scratch', 'scratch-ct'], {'safe_destroy_override_guards': True},
                     name='real')
    real.assert_ok()
    assert lab.pve.vm(610) is None and lab.pve.ct(611) is None
    gone = role_play(lab, tmp_path, 'safe_destroy', ['scratch'], {'safe_destroy_override_guards': True}, name='gone')
    gone.assert_ok()
    assert gone.writes == [] and gone.changed == 0


def test_safe_destroy_backs_up_first_and_a_failed_backup_destroys_nothing(lab, tmp_path):
    add_vm(lab, 620, 'keep-if-no-backup', tags='ephemeral', status='running')
    lab.pve.storages['nfs.01']['avail'] = 0
    failed = role_play(lab, tmp_path, 'safe_destroy', ['keep-if-no-backup'],
                       {'safe_destroy_backup_storage': 'nfs.01'}, name='nobackup')
    [failure] = failed.failed
    assert failure['task'] == 'Back up the guest first'
    assert 'job errors' in failure['result']['msg'] and 'No space left on device' in failure['result']['msg']
    assert lab.pve.vm(620) is not None and lab.pve.vm(620).status == 'running'
    assert [p for m, p in failed.write_calls] == ['/nodes/pve1/vzdump']
    lab.pve.storages['nfs.01']['avail'] = 1024 ** 4
    ok = role_play(lab, tmp_path, 'safe_destroy', ['keep-if-no-backup'], {'safe_destroy_backup_storage': 'nfs.01'},
                   name='withbackup')
    ok.assert_ok()
    assert lab.pve.vm(620) is None
    result = results(ok, 'Record what was destroyed')['keep-if-no-backup']['result']['ansible_facts'][
        'safe_destroy_result']
    assert result['backup'].startswith('nfs.01:dump/vzdump-qemu-620-') and result['stopped'] == 'graceful'
    assert result['destroyed'] is True
