"""Cloud-init settings reach a guest only through the drive it boots with (qemu-server regenerates the drive
at start; the guest reads it at boot): a change on a running VM is reported as needing a restart, and
apply_pending: reboot applies it. The addresses come from the lab's guest, never from the play (issue 12)."""

from test_vm import GOLDEN, guests_named, vm_task


def ci(address):
    return {'user': 'ops', 'ipconfig': [{'ip': address + '/24', 'gw': '10.30.0.1'}]}


def test_a_cloudinit_change_on_a_running_vm_needs_a_restart(lab, play):
    first = play([vm_task(name='addr', clone=GOLDEN, cloudinit=ci('10.30.0.5'), state='started',
                          wait_for_agent=True)]).assert_ok()
    assert first.task('vm')['ip'] == '10.30.0.5' and first.task('vm')['reboot_required'] is False
    [vm] = guests_named(lab, 'addr')

    change = vm_task(name='addr', cloudinit=ci('10.30.0.6'), state='started', wait_for_agent=True)
    check = play([change], check=True).assert_ok()
    assert check.writes == [] and check.task('vm')['reboot_required'] is True
    assert check.task('vm')['next_boot'] == ['ipconfig0'] and check.task('vm')['pending'] == []
    run = play([change]).assert_ok()
    result = run.task('vm')
    assert 'ip=10.30.0.6/24' in vm.config['ipconfig0']
    assert result['changed'] is True and result['reboot_required'] is True and result['next_boot'] == ['ipconfig0']
    assert result['ip'] == '10.30.0.5'  # the guest still runs with the address it booted with
    assert [p for _m, p in run.write_calls] == ['/nodes/pve1/qemu/{0}/config'.format(vm.vmid)]  # no reboot
    # A later run still knows: the drive PVE makes at the next start is what the guest lacks.
    later = play([change]).assert_ok()
    assert later.changed == 0 and later.writes == []
    assert later.task('vm')['reboot_required'] is True and later.task('vm')['next_boot'] == ['ipconfig0']

    applied = play([vm_task(name='addr', cloudinit=ci('10.30.0.6'), state='started', wait_for_agent=True,
                            apply_pending='reboot')]).assert_ok()
    result = applied.task('vm')
    assert result['ip'] == '10.30.0.6' and result['reboot_required'] is False and result['next_boot'] == []
    assert [p for _m, p in applied.write_calls if not p.endswith('/agent/ping')] == \
        ['/nodes/pve1/qemu/{0}/status/reboot'.format(vm.vmid)]
    again = play([vm_task(name='addr', cloudinit=ci('10.30.0.6'), state='started', apply_pending='reboot')])
    assert again.assert_ok().changed == 0 and again.writes == []
    assert again.task('vm')['reboot_required'] is False


def test_a_stopped_vm_takes_its_cloudinit_at_the_start(lab, play):
    play([vm_task(name='cold', clone=GOLDEN, cloudinit=ci('10.30.0.8'))]).assert_ok()
    run = play([vm_task(name='cold', cloudinit=ci('10.30.0.9'), state='started', wait_for_agent=True)]).assert_ok()
    assert run.task('vm')['ip'] == '10.30.0.9' and run.task('vm')['reboot_required'] is False


def test_golden_image_reports_or_applies_a_cloudinit_change_on_a_running_vm(lab, tmp_path):
    from test_roles import results, role_play

    def apply(address, apply_pending, name):
        role_vars = {'golden_image_template': GOLDEN, 'golden_image_cloudinit': ci(address),
                     'golden_image_wait_for_agent': True, 'golden_image_apply_pending': apply_pending}
        run = role_play(lab, tmp_path, 'golden_image', ['gi-addr'], role_vars, name=name).assert_ok()
        return run, results(run, 'Facts of gi-addr')['gi-addr']['result']['ansible_facts']['golden_image_guest']

    _run, facts = apply('10.30.0.5', 'never', 'first')
    assert facts['ip'] == '10.30.0.5' and facts['reboot_required'] is False
    run, facts = apply('10.30.0.6', 'never', 'reported')
    assert facts['ip'] == '10.30.0.5' and facts['reboot_required'] is True  # the guest has not booted with it
    assert not any(p.endswith('/status/reboot') for _m, p in run.write_calls)
    run, facts = apply('10.30.0.6', 'reboot', 'applied')  # nothing left to write: the reboot is the change
    assert facts['ip'] == '10.30.0.6' and facts['reboot_required'] is False
    assert [p for _m, p in run.write_calls if not p.endswith('/agent/ping')] == \
        ['/nodes/pve1/qemu/{0}/status/reboot'.format(facts['vmid'])]
    again, facts = apply('10.30.0.6', 'reboot', 'again')
    assert again.changed == 0 and again.writes == [] and facts['ip'] == '10.30.0.6'
