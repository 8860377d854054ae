"""pve_vm and pve_guest_info against PVE's view of a config: GET config with pending values applied, and what a
running VM takes at once (hot-plugged, never pending) versus at its next start (docs/pve-behaviour.md,
"Config and pending")."""

from test_vm import SSH_KEY, add_vm, vm_task


def warnings_of(result):
    return ' '.join(result.get('warnings') or [])


# ---------------------------------------------------------------------- GET config with pending values

def test_clone_of_a_running_vm_plans_from_the_values_the_clone_gets(lab, play):
    """A clone copies the source's current values and drops its pending ones (qemu-server API2/Qemu.pm
    clone_vm), while GET config shows the pending ones applied (vm_config): check mode must plan the same
    writes as the real run."""
    add_vm(lab, 191, 'busy', status='running')
    lab.pve.vm(191).pending['cores'] = 4
    task = vm_task(name='copy', clone='busy', cores=4)
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and 'cores' in check.task('vm')['changed_keys']
    real = play([task]).assert_ok()
    assert real.task('vm')['changed_keys'] == check.task('vm')['changed_keys']
    copy = lab.pve.vm(real.task('vm')['vmid'])
    assert str(copy.config['cores']) == '4' and copy.pending == {}
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_guest_info_of_a_stopped_vm_shows_the_values_it_will_start_with(lab, play):
    """GET config answers with pending values applied (qemu-server API2/Qemu.pm vm_config,
    load_current_config): a stopped VM's facts are the config its next start uses, as a running VM's are."""
    add_vm(lab, 192, 'parked')
    lab.pve.vm(192).pending.update({'memory': '4096', 'serial0': None})
    run = play([{'name': 'info', 'iac.proxmox.pve_guest_info': {'name': 'parked'}}], check=True).assert_ok()
    [facts] = run.task('info')['guests']
    assert facts['config']['memory'] == '4096' and 'serial0' not in facts['config']
    assert run.writes == []


# ---------------------------------------------------------------------- what a running VM takes at once

def test_hot_plugged_nic_and_disk_are_not_reported_pending(lab, play):
    """With the default hotplug (network,disk,usb) a running VM plugs a new NIC and a new scsi disk at once
    (qemu-server QemuServer.pm vmconfig_hotplug_pending, vmconfig_update_net, vmconfig_update_disk)."""
    add_vm(lab, 193, 'hot', status='running')
    task = vm_task(name='hot', nets=[{'slot': 'net1', 'bridge': 'vmbr0'}],
                   disks=[{'slot': 'scsi1', 'storage': 'local-lvm', 'size': '2G'}])
    run = play([task]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['pending'] == [] and result['reboot_required'] is False
    vm = lab.pve.vm(193)
    assert 'net1' in vm.config and vm.config['scsi1'].startswith('local-lvm:vm-193-disk-') and vm.pending == {}
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.task('vm')['reboot_required'] is False


def test_agent_change_on_a_running_vm_waits_for_the_restart(lab, play):
    """Turning the guest agent off on a running VM stays pending (qemu-server QemuServer.pm
    vmconfig_update_agent: only fstrim_cloned_disks changes live)."""
    add_vm(lab, 194, 'agented', status='running', agent='1')
    run = play([vm_task(name='agented', agent=False)]).assert_ok()
    result = run.task('vm')
    assert result['pending'] == ['agent'] and result['reboot_required'] is True
    assert lab.pve.vm(194).config['agent'] == '1'
    again = play([vm_task(name='agented', agent=False)]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.task('vm')['reboot_required'] is True


def test_failed_hotplug_is_reported_pending_with_a_warning(lab, play):
    """A hotplug PVE tries and that fails leaves the key pending and answers 400 `hotplug problem - <msg>`
    for it, the rest applied (qemu-server QemuServer.pm vmconfig_hotplug_pending, API2/Qemu.pm
    $update_vm_api): the run succeeds, warns and reports the key pending; the rerun writes nothing."""
    add_vm(lab, 195, 'stubborn', status='running')
    lab.pve.fail_hotplug(195, 'net1', 'error on hot-plugging device net1')
    task = vm_task(name='stubborn', nets=[{'slot': 'net1', 'bridge': 'vmbr0'}], description='kept')
    run = play([task]).assert_ok()
    result = run.task('vm')
    assert result['pending'] == ['net1'] and result['reboot_required'] is True
    assert 'could not hot-plug net1' in warnings_of(result) and 'error on hot-plugging device net1' in warnings_of(result)
    assert lab.pve.vm(195).config['description'] == 'kept'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.task('vm')['pending'] == ['net1']


def test_cloudinit_change_on_a_running_vm_is_applied_and_reaches_the_guest_at_its_next_boot(lab, play):
    """PVE writes cloud-init keys at once on a running VM ($fast_plug_option in qemu-server QemuServer.pm), so
    they are never pending; the guest reads its drive only at boot, and PVE makes the drive anew at the start
    (QemuServer.pm vm_start_nolock), showing the change in GET .../cloudinit until then: the run and later
    ones report next_boot and reboot_required, and apply_pending: reboot reboots for it."""
    add_vm(lab, 196, 'ci-live', status='running')
    ci = {'user': 'admin', 'ssh_keys': [SSH_KEY], 'ipconfig': [{'ip': '10.0.0.6/24', 'gw': '10.0.0.1'}]}
    run = play([vm_task(name='ci-live', cloudinit=ci)]).assert_ok()
    result = run.task('vm')
    vm = lab.pve.vm(196)
    assert result['pending'] == [] and vm.pending == {} and vm.cloudinit_generated == 1
    assert result['next_boot'] == ['ciuser', 'ipconfig0', 'sshkeys'] and result['reboot_required'] is True
    assert 'next boot' in warnings_of(result)
    again = play([vm_task(name='ci-live', cloudinit=ci)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    assert again.task('vm')['next_boot'] == ['ciuser', 'ipconfig0', 'sshkeys'] and again.task('vm')['reboot_required']
    changed = dict(ci, ipconfig=[{'ip': 'dhcp'}])
    applied = play([vm_task(name='ci-live', cloudinit=changed, apply_pending='reboot')]).assert_ok()
    result = applied.task('vm')
    assert ('POST', '/nodes/pve1/qemu/196/status/reboot') in applied.write_calls
    assert result['next_boot'] == [] and result['reboot_required'] is False and vm.cloudinit_generated == 2
