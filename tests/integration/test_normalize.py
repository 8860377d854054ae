"""Values PVE normalizes (sizes, descriptions, nameservers, tags, agent, ipconfig, masked secrets): the collection
writes and compares them as PVE reads them back, so a rerun is unchanged and sends nothing."""

GOLDEN = 'debian-12-golden'
TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def ct_task(task='ct', **args):
    return {'name': task, 'iac.proxmox.pve_lxc': args}


def the_vm(lab, name):
    [vm] = [vm for vm in lab.pve.vms if vm.name == name]
    return vm


def the_ct(lab, name):
    [ct] = [ct for ct in lab.pve.cts if ct.name == name]
    return ct


def size_of(value):
    return [p for p in value.split(',') if p.startswith('size=')][0][5:]


# ---------------------------------------------------------------------- sizes (issue 12 row 4)

def test_vm_disks_of_any_unit_are_at_least_as_large_and_rerun_unchanged(lab, play):
    disks = [{'slot': 'scsi1', 'storage': 'local-lvm', 'size': '100M'},
             {'slot': 'scsi2', 'storage': 'local-lvm', 'size': '500M'},
             {'slot': 'scsi3', 'storage': 'local-lvm', 'size': '0.1G'},
             {'slot': 'scsi4', 'storage': 'nfs.01', 'size': '1537.5K', 'format': 'qcow2'},
             {'slot': 'virtio0', 'storage': 'local-lvm', 'size': '0.001T'}]
    task = vm_task(name='sizes', clone=GOLDEN, disks=disks)
    play([task]).assert_ok()
    config = the_vm(lab, 'sizes').config
    # Exactly what was asked, rounded up to a whole KiB (0.1G is 104857.6K, 1537.5K is 1538K, 0.001T is 1073742K).
    assert [size_of(config[d['slot']]) for d in disks] == ['100M', '500M', '104858K', '1538K', '1073742K']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    grow = vm_task(name='sizes', disks=[{'slot': 'scsi1', 'size': '0.15G'}, {'slot': 'scsi2', 'size': '512000K'}])
    run = play([grow]).assert_ok()
    assert run.write_calls == [('PUT', '/nodes/pve1/qemu/{0}/resize'.format(the_vm(lab, 'sizes').vmid))]
    assert size_of(the_vm(lab, 'sizes').config['scsi1']) == '157287K'
    assert play([grow]).writes == []


def test_container_volumes_of_any_unit_are_at_least_as_large_and_rerun_unchanged(lab, play):
    mounts = [{'slot': 'mp0', 'storage': 'local-lvm', 'size': '100M', 'path': '/a'},
              {'slot': 'mp1', 'storage': 'local-lvm', 'size': '500M', 'path': '/b'},
              {'slot': 'mp2', 'storage': 'local-lvm', 'size': '0.1G', 'path': '/c'},
              {'slot': 'mp3', 'storage': 'local-lvm', 'size': '1025K', 'path': '/d'}]
    task = ct_task(name='ct-sizes', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '1.3G'},
                   mounts=mounts)
    play([task]).assert_ok()
    config = the_ct(lab, 'ct-sizes').config
    # Containers allocate whole MiB: the size asked, rounded up to the next MiB (1.3G is 1331.2M -> 1332M).
    assert size_of(config['rootfs']) == '1332M'
    assert [size_of(config[m['slot']]) for m in mounts] == ['100M', '500M', '103M', '2M']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    grow = ct_task(name='ct-sizes', mounts=[{'slot': 'mp2', 'size': '0.15G'}])
    run = play([grow]).assert_ok()
    assert run.write_calls == [('PUT', '/nodes/pve1/lxc/{0}/resize'.format(the_ct(lab, 'ct-sizes').vmid))]
    assert size_of(the_ct(lab, 'ct-sizes').config['mp2']) == '154M'
    assert play([grow]).writes == []


# ---------------------------------------------------------------------- description (issue 12 row 5)

TEXT = '50%20off: caf\u00e9\n\nowner: ops  \n'


def test_vm_description_compared_as_pve_reads_it_back(lab, play):
    task = vm_task(name='desc', clone=GOLDEN, description=TEXT)
    play([task]).assert_ok()
    assert the_vm(lab, 'desc').config['description'] == TEXT  # stored; the API reads back '...owner: ops'
    again = play([task], diff=True).assert_ok()
    assert again.changed == 0 and again.writes == []
    # Trailing spaces inside the text are kept by PVE, so removing them is a change.
    edited = play([vm_task(name='desc', description='50%20off: caf\u00e9\n\nowner: ops\nnew')]).assert_ok()
    assert edited.changed == 1
    edited = play([vm_task(name='desc', description='50%20off: caf\u00e9  \n\nowner: ops\nnew')]).assert_ok()
    assert edited.changed == 1
    # '' (and '0') leave PVE with no description: the collection removes it, then has nothing to do.
    cleared = play([vm_task(name='desc', description='')]).assert_ok()
    assert cleared.changed == 1 and 'description' not in the_vm(lab, 'desc').config
    again = play([vm_task(name='desc', description='')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_ct_description_compared_as_pve_reads_it_back(lab, play):
    task = ct_task(name='ct-desc', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '1G'},
                   description=TEXT)
    play([task]).assert_ok()
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    edited = play([ct_task(name='ct-desc', description='50%20off: caf\u00e9  \n\nowner: ops')]).assert_ok()
    assert edited.changed == 1
    cleared = play([ct_task(name='ct-desc', description='0')]).assert_ok()
    assert cleared.changed == 1 and 'description' not in the_ct(lab, 'ct-desc').config
    again = play([ct_task(name='ct-desc', description='0')]).assert_ok()
    assert again.changed == 0 and again.writes == []


# ---------------------------------------------------------------------- nameserver order (issue 12 row 6)

def test_vm_cloudinit_nameservers_keep_the_play_order(lab, play):
    task = vm_task(name='ns', clone=GOLDEN, cloudinit={'nameserver': ['10.0.0.53', '1.1.1.1']})
    play([task]).assert_ok()
    assert the_vm(lab, 'ns').config['nameserver'] == '10.0.0.53 1.1.1.1'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    swapped = play([vm_task(name='ns', cloudinit={'nameserver': ['1.1.1.1', '10.0.0.53']})], diff=True).assert_ok()
    assert swapped.changed == 1 and the_vm(lab, 'ns').config['nameserver'] == '1.1.1.1 10.0.0.53'
    diff = swapped.task('vm')['diff']
    assert diff['before']['nameserver'] == ['10.0.0.53', '1.1.1.1']
    assert diff['after']['nameserver'] == ['1.1.1.1', '10.0.0.53']


def test_ct_nameservers_keep_the_play_order(lab, play):
    task = ct_task(name='ct-ns', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '1G'},
                   nameserver=['10.0.0.53', '1.1.1.1'])
    play([task]).assert_ok()
    assert the_ct(lab, 'ct-ns').config['nameserver'] == '10.0.0.53 1.1.1.1'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    swapped = play([ct_task(name='ct-ns', nameserver=['1.1.1.1', '10.0.0.53'])]).assert_ok()
    assert swapped.changed == 1 and the_ct(lab, 'ct-ns').config['nameserver'] == '1.1.1.1 10.0.0.53'


# ---------------------------------------------------------------------- tags and tag-style (issue 12 row 9)

def options_reads(run):
    return [c for c in run.calls if c == ('GET', '/cluster/options')]


def test_vm_tags_on_a_case_sensitive_cluster_keep_their_case(lab, play):
    lab.pve.datacenter['tag-style'] = {'case-sensitive': 1}
    task = vm_task(name='tagged', clone=GOLDEN, tags=['Web', 'prod', 'Web'])
    first = play([task]).assert_ok()
    assert the_vm(lab, 'tagged').config['tags'] == 'Web;prod'
    assert len(options_reads(first)) == 1
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and len(options_reads(again)) == 1
    lower = play([vm_task(name='tagged', tags=['web', 'prod'])]).assert_ok()
    assert lower.changed == 1 and the_vm(lab, 'tagged').config['tags'] == 'prod;web'


def test_tags_in_config_order_when_the_cluster_says_so(lab, play):
    lab.pve.datacenter['tag-style'] = {'ordering': 'config'}
    task = ct_task(name='ct-tags', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '1G'},
                   tags=['zeta', 'Alpha'])
    play([task]).assert_ok()
    assert the_ct(lab, 'ct-tags').config['tags'] == 'zeta;alpha'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    swapped = play([ct_task(name='ct-tags', tags=['alpha', 'zeta'])]).assert_ok()
    assert swapped.changed == 1 and the_ct(lab, 'ct-tags').config['tags'] == 'alpha;zeta'
    # Sorted lower-case tags read the same under every tag-style: no /cluster/options read.
    assert swapped.changed == 1 and options_reads(swapped) == []
    again = play([ct_task(name='ct-tags', tags=['alpha', 'zeta'])]).assert_ok()
    assert again.changed == 0 and again.writes == [] and options_reads(again) == []


def test_default_tag_style_lower_cases_and_sorts(lab, play):
    task = vm_task(name='plain-tags', clone=GOLDEN, tags=['Web', 'db'])
    play([task]).assert_ok()
    assert the_vm(lab, 'plain-tags').config['tags'] == 'db;web'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


# ---------------------------------------------------------------------- cipassword masked in /pending

def test_masked_cipassword_still_counts_as_set(lab, play):
    """PVE's /pending shows cipassword as '**********': the collection learns only that a password is set."""
    task = vm_task(name='ci-pass', clone=GOLDEN, cloudinit={'user': 'admin', 'password': 'S3cret-pw'})
    first = play([task], args=('-vvv',)).assert_ok()
    stored = the_vm(lab, 'ci-pass').config['cipassword']
    assert stored.startswith('$5$')
    again = play([task], diff=True, args=('-vvv',)).assert_ok()
    assert again.changed == 0 and again.writes == []
    assert again.task('vm')['config']['cipassword'] == '********'
    for run in (first, again):
        assert 'S3cret-pw' not in run.stdout + run.stderr and stored not in run.stdout + run.stderr
    info = play([{'name': 'info', 'iac.proxmox.pve_guest_info': {'name': 'ci-pass'}}]).assert_ok()
    assert stored not in info.stdout and '**********' not in str(info.task('info'))


# ---------------------------------------------------------------------- ipconfig merges like NICs

def test_ipconfig_keeps_keys_the_play_does_not_name(lab, play):
    ci = {'ipconfig': [{'ip': '10.0.0.5/24', 'gw': '10.0.0.1', 'ip6': 'auto'}]}
    play([vm_task(name='ipc', clone=GOLDEN, cloudinit=ci)]).assert_ok()
    vm = the_vm(lab, 'ipc')
    assert vm.config['ipconfig0'] == 'gw=10.0.0.1,ip=10.0.0.5/24,ip6=auto'
    task = vm_task(name='ipc', cloudinit={'ipconfig': [{'ip': '10.0.0.6/24'}]})
    moved = play([task]).assert_ok()
    assert moved.changed == 1 and vm.config['ipconfig0'] == 'gw=10.0.0.1,ip=10.0.0.6/24,ip6=auto'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # DHCP takes its gateway from the lease: the old static gw goes, the IPv6 setting stays.
    dhcp = play([vm_task(name='ipc', cloudinit={'ipconfig': [{'ip': 'dhcp'}]})]).assert_ok()
    assert dhcp.changed == 1 and vm.config['ipconfig0'] == 'ip=dhcp,ip6=auto'


# ---------------------------------------------------------------------- agent: freeze-fs spelling

def version_reads(run):
    return [c for c in run.calls if c == ('GET', '/version')]


def test_agent_keeps_the_freeze_fs_spelling_the_guest_uses(lab, play):
    play([vm_task(name='agent-old', clone=GOLDEN)]).assert_ok()
    vm = the_vm(lab, 'agent-old')
    vm.config['agent'] = '1,freeze-fs-on-backup=0'  # written by PVE 8 or 9.0
    run = play([vm_task(name='agent-old', agent={'enabled': True, 'fstrim_cloned_disks': True})]).assert_ok()
    assert run.changed == 1 and vm.config['agent'] == '1,freeze-fs-on-backup=0,fstrim_cloned_disks=1'
    assert version_reads(run) == []
    task = vm_task(name='agent-old', agent={'freeze_fs': True, 'fstrim_cloned_disks': True})
    run = play([task]).assert_ok()
    assert vm.config['agent'] == '1,freeze-fs-on-backup=1,fstrim_cloned_disks=1' and version_reads(run) == []
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_agent_freeze_fs_without_a_hint_asks_the_version_once(lab, play):
    play([vm_task(name='agent-new', clone=GOLDEN)]).assert_ok()
    vm = the_vm(lab, 'agent-new')
    # The lab says PVE 9.0.10: only freeze-fs-on-backup exists there.
    task = vm_task(name='agent-new', agent={'enabled': True, 'freeze_fs': False})
    run = play([task]).assert_ok()
    assert vm.config['agent'] == '1,freeze-fs-on-backup=0' and len(version_reads(run)) == 1
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == [] and version_reads(again) == []
    # From PVE 9.2 the new spelling; freeze_fs: true on a guest without the key is no change (and no read).
    lab.pve.version, lab.pve.release_version = '9.2.4', '9.2'
    play([vm_task(name='agent-92', clone=GOLDEN)]).assert_ok()
    unchanged = play([vm_task(name='agent-92', agent={'enabled': True, 'freeze_fs': True})]).assert_ok()
    assert unchanged.changed == 0 and version_reads(unchanged) == []
    run = play([vm_task(name='agent-92', agent={'freeze_fs': False})]).assert_ok()
    assert the_vm(lab, 'agent-92').config['agent'] == '1,freeze-fs=0' and len(version_reads(run)) == 1


# ---------------------------------------------------------------------- diff mode: same types before and after

def test_vm_diff_shows_before_and_after_in_the_same_types(lab, play):
    play([vm_task(name='typed', clone=GOLDEN, memory=2048, onboot=False)]).assert_ok()
    run = play([vm_task(name='typed', memory=4096, onboot=True, cores=3)], diff=True).assert_ok()
    diff = run.task('vm')['diff']
    assert diff['before']['memory'] == 2048 and diff['after']['memory'] == 4096
    assert diff['before']['onboot'] in (0, None) and diff['after']['onboot'] == 1
    assert type(diff['before']['cores']) is type(diff['after']['cores']) is int


def test_ct_diff_shows_before_and_after_in_the_same_types(lab, play):
    task = ct_task(name='ct-typed', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '1G'},
                   memory=512, onboot=True, tags=['b', 'a'])
    play([task]).assert_ok()
    run = play([ct_task(name='ct-typed', memory='1G', onboot=False, tags=['c'])], diff=True).assert_ok()
    diff = run.task('ct')['diff']
    assert diff['before']['memory'] == 512 and diff['after']['memory'] == 1024
    assert diff['before']['onboot'] == 1 and diff['after']['onboot'] == 0
    assert diff['before']['tags'] == ['a', 'b'] and diff['after']['tags'] == ['c']
