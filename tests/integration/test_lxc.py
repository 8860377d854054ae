"""iac.proxmox.pve_lxc end to end against the lab's containers."""

import pytest

TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def ct_task(task='ct', **args):
    return {'name': task, 'iac.proxmox.pve_lxc': args}


def new_ct(**overrides):
    args = dict(name='web-ct', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '8G'},
                cores=2, memory='1G', features={'nesting': True},
                nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'ip': '10.0.30.11/24', 'gw': '10.0.30.1'}])
    args.update(overrides)
    return ct_task(**args)


def add_ct(lab, vmid, name, status='stopped', **config):
    base = {'hostname': name, 'memory': 512, 'swap': 512, 'unprivileged': 1, 'ostype': 'debian', 'arch': 'amd64',
            'rootfs': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid),
            'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:10:{0:02X},ip=dhcp,type=veth'.format(vmid % 256)}
    base.update(config)
    return lab.pve.add_ct(vmid, name, node='pve1', status=status, config=base)


def containers(lab, name):
    return [ct for ct in lab.pve.cts if ct.name == name]


def test_create_from_template_then_unchanged_rerun(lab, play):
    task = new_ct(password='S3cretPass!', ssh_public_keys=['ssh-ed25519 AAAAC3Nza admin@ci'], state='started',
                  mounts=[{'slot': 'mp0', 'storage': 'local-lvm', 'size': '4G', 'path': '/srv/data', 'backup': True}])
    first = play([task], args=('-vvv',)).assert_ok()
    [ct] = containers(lab, 'web-ct')
    result = first.task('ct')
    assert result['vmid'] == ct.vmid and result['status'] == 'running' and ct.status == 'running'
    assert ct.config['features'] == 'nesting=1' and ct.config['cores'] in (2, '2')
    assert ct.config['mp0'].startswith('local-lvm:vm-{0}-disk-'.format(ct.vmid)) and 'mp=/srv/data' in ct.config['mp0']
    assert ct.config['net0'].startswith('name=eth0,bridge=vmbr0') and 'ip=10.0.30.11/24' in ct.config['net0']
    creates = [body for m, p, body in first.writes if p == '/nodes/pve1/lxc']
    assert len(creates) == 1 and b'password=***' in creates[0]  # sent, and never recorded or shown
    assert 'S3cretPass!' not in first.stdout + first.stderr
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    assert len(again.requests) <= 3, again.calls
    assert len(containers(lab, 'web-ct')) == 1


def test_check_mode_creates_nothing(lab, play):
    run = play([new_ct(state='started')], check=True).assert_ok()
    assert run.writes == [] and containers(lab, 'web-ct') == []
    assert run.task('ct')['plan'] == [
        'create CT web-ct on pve1 from {0}: cores, features, memory, net0, ostemplate, rootfs, unprivileged'.format(
            TEMPLATE),
        'start CT web-ct']


def test_clone_once(lab, play):
    add_ct(lab, 500, 'base-ct', features='nesting=1')
    task = ct_task(name='clone-ct', clone='base-ct', storage='nfs.01', memory=2048)
    first = play([task]).assert_ok()
    [ct] = containers(lab, 'clone-ct')
    assert ct.config['rootfs'].startswith('nfs.01:') and ct.config['memory'] in (2048, '2048')
    assert ct.config['features'] == 'nesting=1'
    assert sum(1 for m, p in first.write_calls if p.endswith('/clone')) == 1
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and len(containers(lab, 'clone-ct')) == 1


def test_clone_to_another_node_from_local_storage_is_refused_before_any_write(lab, play):
    """pve-container API2/LXC.pm clone_vm refuses a target node unless every volume ends up on shared storage (a
    target storage must be shared; without one, the source's volumes must be); the module says so first, naming
    the volumes and the way out, in check mode too, instead of sending the clone."""
    add_ct(lab, 500, 'base-ct', mp0='local-lvm:vm-500-disk-1,mp=/srv,size=2G')
    for check in (True, False):
        run = play([ct_task(name='far-ct', clone='base-ct', node='pve2')], check=check)
        msg = run.task('ct')['msg']
        assert run.writes == [] and containers(lab, 'far-ct') == [], run.write_calls
        assert msg.startswith("node: 'pve2' is invalid: PVE clones a container to another node only from or onto "
                              'shared storage, and CT 500 (base-ct) on pve1 has volumes on local storage: mp0 '
                              '(local-lvm:vm-500-disk-1), rootfs (local-lvm:vm-500-disk-0). Nothing was cloned.'), msg
        assert 'storage: <a shared storage> (shared storages for container volumes: nfs.01)' in msg
    run = play([ct_task(name='far-ct', clone='base-ct', node='pve2', storage='local-lvm')])
    assert run.writes == [] and "can't clone to non-shared storage 'local-lvm'" in run.task('ct')['msg']
    # Onto shared storage PVE clones across nodes, and the rerun writes nothing.
    task = ct_task(name='far-ct', clone='base-ct', node='pve2', storage='nfs.01')
    play([task]).assert_ok()
    [ct] = containers(lab, 'far-ct')
    assert ct.node == 'pve2' and ct.config['rootfs'].startswith('nfs.01:')
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_clone_that_pve_refuses_on_any_node_is_refused_before_any_write(lab, play):
    """pve-container API2/LXC.pm clone_vm refuses a bind or device mount point (`unable to clone mountpoint`) and
    a full clone of a running container without a snapshot; the module says so first, naming the option."""
    add_ct(lab, 520, 'bind-ct', mp0='/srv/shared-data,mp=/mnt/shared')
    add_ct(lab, 521, 'busy-ct', status='running')
    for check in (True, False):
        run = play([ct_task(name='copy-1', clone='bind-ct')], check=check)
        assert run.writes == [] and containers(lab, 'copy-1') == [], run.write_calls
        assert run.task('ct')['msg'] == (
            "clone: 'bind-ct' is invalid: CT 520 (bind-ct) has mount points PVE cannot clone (bind or device mounts: "
            'mp0); nothing was cloned. Clone a source without them and add them to the clone with mounts (PVE: unable '
            'to clone mountpoint)')
        run = play([ct_task(name='copy-2', clone='busy-ct')], check=check)
        assert run.writes == [] and containers(lab, 'copy-2') == [], run.write_calls
        assert run.task('ct')['msg'].startswith(
            'snapname: a full clone of a running container (CT 521 (busy-ct)) is made from a '
            'snapshot only; give snapname, or stop CT 521 (busy-ct) first.')
    # Stopped, the same container clones.
    lab.pve.ct(521).status = 'stopped'
    play([ct_task(name='copy-2', clone='busy-ct')]).assert_ok()
    assert len(containers(lab, 'copy-2')) == 1


def add_template(lab, vmid, name, **volumes):
    ct = add_ct(lab, vmid, name, template=1, **volumes)
    assert ct.template
    return ct


def test_linked_clone_from_storage_without_the_feature_is_refused_before_any_write(lab, play):
    """pve-container API2/LXC.pm clone_vm asks pve-storage volume_has_feature('clone', ..., valid_target_formats
    raw/subvol) for each rootfs/mpN volume of a linked clone; Plugin.pm volume_has_feature refuses it on dir, NFS
    and CIFS (its clone_image makes qcow2): `Linked clone feature for '<volid>' is not available`. The module
    refuses full: false first, naming the volumes, their storages and the ways out, in check mode too, from the
    storage listing of the template's node; a linked clone of an LVM-thin template and a full clone of the NFS
    template are made."""
    add_template(lab, 950, 'nfs-tmpl', rootfs='nfs.01:950/base-950-disk-0.raw,size=8G',
                 mp0='local-lvm:base-950-disk-1,mp=/srv,size=2G', mp1='nfs.01:950/base-950-disk-2.raw,mp=/opt,size=1G')
    add_template(lab, 951, 'thin-tmpl', rootfs='local-lvm:base-951-disk-0,size=8G')
    for check in (True, False):
        run = play([ct_task(name='linked-ct', clone='nfs-tmpl', full=False)], check=check)
        assert run.writes == [] and containers(lab, 'linked-ct') == [], run.write_calls
        assert run.task('ct')['msg'] == (
            'full: False is invalid: PVE makes a linked clone only of volumes on storage that can clone them, and '
            'CT 950 (nfs-tmpl) has mp1 (nfs.01:950/base-950-disk-2.raw) on nfs.01 (nfs, no linked clones of '
            'container volumes), rootfs (nfs.01:950/base-950-disk-0.raw) on nfs.01 (nfs, no linked clones of '
            'container volumes); nothing was cloned. Use full: true (a full clone, which may also go to another '
            'storage), or clone a template whose volumes are on LVM-thin, ZFS or Ceph RBD (PVE: Linked clone '
            "feature for 'nfs.01:950/base-950-disk-2.raw' is not available)"), run.task('ct')['msg']
        assert sum(1 for m, p in run.calls if p == '/nodes/pve1/storage') == 1, run.calls
    assert lab.pve.ct(950).lock is None
    run = play([ct_task(name='linked-ct', clone='thin-tmpl', full=False)]).assert_ok()
    [linked] = containers(lab, 'linked-ct')
    assert linked.config['rootfs'].startswith('local-lvm:vm-{0}-disk-'.format(linked.vmid))
    assert sum(1 for m, p in run.write_calls if p.endswith('/clone')) == 1
    assert sum(1 for m, p in run.calls if p == '/nodes/pve1/storage') == 1, run.calls
    run = play([ct_task(name='full-ct', clone='nfs-tmpl')]).assert_ok()
    assert ('GET', '/nodes/pve1/storage') not in run.calls  # read for a linked clone only
    [copy] = containers(lab, 'full-ct')
    assert copy.config['rootfs'].startswith('nfs.01:') and not copy.template


def test_template_of_a_container_with_snapshots_is_refused_before_any_write(lab, play):
    """pve-container API2/LXC.pm template: `unable to create template, because CT contains snapshots`; refused
    before the running container is shut down."""
    ct = add_ct(lab, 530, 'snapped-ct', status='running')
    play([{'name': 'snap', 'iac.proxmox.pve_snapshot': {'vmid': 530, 'snapname': 'keep'}}]).assert_ok()
    run = play([ct_task(vmid=530, state='template')])
    assert 'CT 530 (snapped-ct) has snapshots (keep)' in run.task('ct')['msg'] and run.writes == []
    assert ct.status == 'running' and not ct.template


def test_bind_and_volume_mount_points(lab, play):
    ct = add_ct(lab, 510, 'mounts', mp5='local-lvm:vm-510-disk-9,mp=/keep,size=1G')
    mounts = [{'slot': 'mp0', 'host_path': '/srv/shared-data', 'path': '/mnt/shared', 'ro': True},
              {'slot': 'mp1', 'storage': 'local-lvm', 'size': '2G', 'path': '/data'}]
    run = play([ct_task(name='mounts', mounts=mounts)], auth='password').assert_ok()
    assert ct.config['mp0'] == '/srv/shared-data,mp=/mnt/shared,ro=1'
    assert ct.config['mp1'].startswith('local-lvm:vm-510-disk-') and 'size=2G' in ct.config['mp1']
    assert ct.config['mp5'] == 'local-lvm:vm-510-disk-9,mp=/keep,size=1G'  # not listed: left alone
    assert run.task('ct')['changed_keys'] == ['mp0', 'mp1']
    assert play([ct_task(name='mounts', mounts=mounts)], auth='password').writes == []
    grow = play([ct_task(name='mounts', mounts=[{'slot': 'mp1', 'size': '3G'}])], auth='password').assert_ok()
    assert grow.write_calls == [('PUT', '/nodes/pve1/lxc/510/resize')] and 'size=3G' in ct.config['mp1']
    volume = ct.config['mp1'].split(',')[0]
    removed = play([ct_task(name='mounts', mounts=[{'slot': 'mp1', 'state': 'absent'}])], auth='password').assert_ok()
    assert 'mp1' not in ct.config and ct.config['unused0'] == volume
    assert removed.changed == 1


def test_nic_added_then_removed(lab, play):
    ct = add_ct(lab, 520, 'nics')
    add = play([ct_task(name='nics', nets=[{'slot': 'net1', 'bridge': 'vmbr1', 'ip': 'dhcp', 'tag': 30}])]).assert_ok()
    assert ct.config['net1'].startswith('name=eth1,bridge=vmbr1') and 'tag=30' in ct.config['net1']
    assert add.task('ct')['changed_keys'] == ['net1']
    hwaddr = [p for p in ct.config['net1'].split(',') if p.startswith('hwaddr=')][0]
    same = play([ct_task(name='nics', nets=[{'slot': 'net1', 'bridge': 'vmbr1', 'ip': 'dhcp', 'tag': 30}])])
    assert same.writes == [] and hwaddr in ct.config['net1']
    gone = play([ct_task(name='nics', nets=[{'slot': 'net1', 'state': 'absent'}])], diff=True).assert_ok()
    assert 'net1' not in ct.config and 'net0' in ct.config
    [(_method, _path, body)] = gone.writes
    assert b'delete=net1' in body
    assert play([ct_task(name='nics', nets=[{'slot': 'net1', 'state': 'absent'}])]).writes == []


def test_removal_of_an_option_is_seen(lab, play):
    ct = add_ct(lab, 530, 'feat', features='keyctl=1,nesting=1', nameserver='192.0.2.53 192.0.2.54')
    # Removing keyctl is a feature flag other than nesting: PVE lets only root@pam itself (not a token) do it.
    run = play([ct_task(name='feat', features={'nesting': True}, nameserver=['192.0.2.53'])], diff=True,
               auth='password').assert_ok()
    assert ct.config['features'] == 'nesting=1' and ct.config['nameserver'] == '192.0.2.53'
    assert sorted(run.task('ct')['changed_keys']) == ['features', 'nameserver']
    [(_method, _path, body)] = run.writes
    assert b'memory' not in body and b'net0' not in body  # only what changed is written
    off = play([ct_task(name='feat', features={})], auth='password').assert_ok()
    assert 'features' not in ct.config and off.changed == 1


def test_unprivileged_change_refused(lab, play):
    add_ct(lab, 540, 'unpriv')
    run = play([ct_task(name='unpriv', unprivileged=False, cores=4)])
    assert run.task('ct')['msg'].startswith('unprivileged can only be set when the resource is created')
    assert run.writes == []


def test_pending_on_a_running_container_and_apply(lab, play):
    ct = add_ct(lab, 550, 'running-ct', status='running', cores=1)
    # PVE applies cores at once to a running container; DNS settings wait for a restart.
    run = play([ct_task(name='running-ct', cores=2, nameserver=['192.0.2.53'])]).assert_ok()
    assert run.task('ct')['pending'] == ['nameserver'] and run.task('ct')['reboot_required'] is True
    assert ct.config['cores'] in (2, '2') and 'nameserver' not in ct.config
    assert play([ct_task(name='running-ct', cores=2, nameserver=['192.0.2.53'])]).writes == []
    applied = play([ct_task(name='running-ct', nameserver=['192.0.2.53'], apply_pending='reboot')]).assert_ok()
    assert applied.task('ct')['reboot_required'] is False and ct.config['nameserver'] == '192.0.2.53'
    assert ('POST', '/nodes/pve1/lxc/550/status/reboot') in applied.write_calls


@pytest.mark.lab(time_scale=0.01)
def test_destroy_running_container_graceful_then_forced(lab, play):
    add_ct(lab, 560, 'polite', status='running')
    hung = add_ct(lab, 561, 'hung', status='running')
    hung.shutdown_secs = 10000
    run = play([ct_task('polite', name='polite', state='absent'),
                ct_task('hung', name='hung', state='absent', shutdown_timeout=30)]).assert_ok()
    assert run.task('polite')['stopped'] == 'graceful' and run.task('hung')['stopped'] == 'forced'
    assert lab.pve.ct(560) is None and lab.pve.ct(561) is None
    stops = [body for m, p, body in run.writes if p.endswith('/561/status/stop')]
    assert len(stops) == 1 and b'overrule-shutdown=1' in stops[0]
    deletes = [r for r in run.requests if r[0] == 'DELETE']
    assert [p for m, p, b in deletes] == ['/nodes/pve1/lxc/560', '/nodes/pve1/lxc/561']


def test_protected_container_refused(lab, play):
    add_ct(lab, 570, 'keep-me', status='running', protection=1)
    run = play([ct_task(name='keep-me', state='absent')])
    assert 'CT 570 (keep-me) is protected' in run.task('ct')['msg']
    assert run.writes == [] and lab.pve.ct(570).status == 'running'


BAD = [
    (dict(nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'ip': '10.0.30.300/24'}]), 'nets[0].ip', 'IPv4 address'),
    (dict(nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'ip': 'dhcp', 'gw': '10.0.0.1'}]), 'nets[0].gw', 'static ip'),
    (dict(rootfs={'storage': 'nfs.02', 'size': '8G'}), 'rootfs.storage', 'is not a storage of node pve1'),
    (dict(rootfs={'storage': 'local', 'size': '8G'}), 'rootfs.storage', 'does not hold container volumes'),
    (dict(mounts=[{'slot': 'mp0', 'storage': 'local-lvm', 'size': '1G', 'path': 'data'}]), 'mounts[0].path',
     'absolute path'),
    (dict(mounts=[{'slot': 'mp0', 'host_path': '/srv/../etc', 'path': '/x'}]), 'mounts[0].host_path', '".."'),
    (dict(ostemplate='local:vztmpl/nope.tar.zst'), 'ostemplate', 'no such template on storage local'),
    (dict(ostemplate='debian-12'), 'ostemplate', 'container template volume'),
    (dict(features={'nesting': True, 'teleport': True}), 'features.teleport', 'unknown feature'),
    (dict(name='bad_name'), 'name', 'valid DNS name'),
]


def test_bad_input_fails_before_any_write(lab, play):
    add_ct(lab, 580, 'small', rootfs='local-lvm:vm-580-disk-0,size=8G')
    tasks = []
    for index, (args, _option, _words) in enumerate(BAD):
        task = new_ct(**args)
        task['name'] = 'bad{0}'.format(index)
        task['ignore_errors'] = True
        tasks.append(task)
    shrink = ct_task('shrink', name='small', rootfs={'size': '4G'})
    shrink['ignore_errors'] = True
    run = play(tasks + [shrink])
    assert run.writes == []
    for index, (_args, option, words) in enumerate(BAD):
        msg = run.task('bad{0}'.format(index))['msg']
        assert msg.startswith(option + ':') and words in msg, (index, msg)
    assert run.task('shrink')['msg'] == 'rootfs: volumes can only grow: rootfs is 8G, the play asks for 4G'
