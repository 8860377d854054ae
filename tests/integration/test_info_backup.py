"""pve_guest_info (read-only facts) and pve_backup (a recent vzdump backup) against the lab."""

from test_lxc import add_ct
from test_vm import add_vm


def test_guest_info_filters_and_facts(lab, play):
    add_vm(lab, 700, 'web-a', tags='web;prod', status='running', cipassword='$5$x$y')
    add_vm(lab, 701, 'web-b', tags='web', node='pve2')
    add_ct(lab, 702, 'ct-a', tags='web;prod', status='running')
    lab.pve.vm(700).pending['memory'] = '4096'
    run = play([{'name': 'prod', 'iac.proxmox.pve_guest_info': {'tags': ['prod'], 'addresses': True}},
                {'name': 'vms', 'iac.proxmox.pve_guest_info': {'type': 'qemu', 'templates': False, 'config': False,
                                                               'pending': False}},
                {'name': 'one', 'iac.proxmox.pve_guest_info': {'name': 'web-b'}}], check=True).assert_ok()
    assert run.writes == [] and run.changed == 0
    prod = run.task('prod')['guests']
    assert [(g['vmid'], g['type'], g['status']) for g in prod] == [(700, 'qemu', 'running'), (702, 'lxc', 'running')]
    assert prod[0]['pending'] == {'memory': '4096'} and prod[0]['config']['cipassword'] == '********'
    assert prod[0]['tags'] == ['prod', 'web'] and prod[0]['protection'] is False
    assert prod[1]['ip'] is None or prod[1]['ip_addresses'] == []
    assert [g['vmid'] for g in run.task('vms')['guests']] == [700, 701]
    assert 'config' not in run.task('vms')['guests'][0]
    assert [(g['vmid'], g['node']) for g in run.task('one')['guests']] == [(701, 'pve2')]
    # The listing is one request; each guest with config costs one more (two when it runs: config and pending).
    vms_calls = [c for c in run.calls if c[1] == '/cluster/resources']
    assert len(vms_calls) == 3


def test_backup_is_recent_after_one_run(lab, play):
    add_vm(lab, 710, 'backed', status='running')
    task = {'name': 'backup', 'iac.proxmox.pve_backup': {'name': 'backed', 'storage': 'nfs.01'}}
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and check.task('backup')['plan'] == ['back up VM 710 (backed) to nfs.01 (snapshot mode)']
    first = play([task]).assert_ok()
    volid = first.task('backup')['backup']
    assert volid.startswith('nfs.01:dump/vzdump-qemu-710-') and first.changed == 1
    assert lab.pve.vm(710).lock is None
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.task('backup')['backup'] == volid
    forced = play([{'name': 'backup', 'iac.proxmox.pve_backup': {'vmid': 710, 'storage': 'nfs.01', 'max_age': 0}}])
    assert forced.changed == 1


def test_backup_storage_checked_first(lab, play):
    add_vm(lab, 720, 'backed2')
    run = play([{'name': 'backup', 'iac.proxmox.pve_backup': {'vmid': 720, 'storage': 'local-lvm'}}])
    assert run.task('backup')['msg'].startswith("storage: 'local-lvm' is invalid: does not take backups")
    assert run.writes == []
