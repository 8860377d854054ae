"""The golden_template role end to end: the lab downloads a cloud image from a web server on loopback, imports it
into a new VM and makes it a template; a new image makes a new version under the same name; unused old versions
go through safe_destroy's guards. Asserted on results, the lab's guests and storages and its request log."""

import hashlib

import pytest

from imageserver import ImageServer
from pvelab.topology import qcow2_header

GIB = 1024 ** 3
NAME = 'debian12'


def image(release):
    """A small qcow2 file (its header says 2 GiB, as a cloud image's does), different per release."""
    return qcow2_header(2 * GIB) + release.encode() * 512


@pytest.fixture
def images():
    server = ImageServer({'/debian/a.qcow2': image('a'), '/debian/b.qcow2': image('b'),
                          '/debian/c.qcow2': image('c')})
    yield server
    server.stop()


def sha512(release):
    return hashlib.sha512(image(release)).hexdigest()


def role_vars(images, release='a', **extra):
    base = {'golden_template_name': NAME, 'golden_template_node': 'pve1', 'golden_template_storage': 'nfs.01',
            'golden_template_image_storage': 'local', 'golden_template_url': images.url('/debian/{0}.qcow2'.format(
                release)), 'golden_template_checksum': sha512(release), 'golden_template_allow_http': True}
    base.update(extra)
    return base


ROLE = [{'name': 'golden template', 'ansible.builtin.include_role': {'name': 'iac.proxmox.golden_template'}}]


def build(play, images, release='a', check=False, **extra):
    return play(ROLE, vars=role_vars(images, release, **extra), check=check)


def guests(lab, prefix=NAME):
    return dict((vm.name, vm) for vm in lab.pve.vms if vm.name == prefix or vm.name.startswith(prefix + '-'))


def facts(run):
    return [r for r in run.results if r['task'] == 'Facts of golden template ' + NAME][-1]['result'][
        'ansible_facts']['golden_template_result']


def test_build_downloads_imports_grows_and_converts_then_a_rerun_changes_nothing(lab, play, images):
    first = build(play, images).assert_ok()
    [vm] = guests(lab).values()
    assert vm.name == NAME and vm.template
    config = vm.config
    assert config['tags'] == 'img-' + sha512('a')[:12]
    assert config['scsi0'].startswith('nfs.01:{0}/base-{0}-disk-'.format(vm.vmid)) and 'size=20G' in config['scsi0']
    assert config['ide2'].startswith('nfs.01:') and 'media=cdrom' in config['ide2'] and config['ipconfig0'] == 'ip=dhcp'
    assert config['agent'] in ('1', 1) and config['boot'] == 'order=scsi0'
    assert config['serial0'] == 'socket' and config['vga'] == 'serial0'
    assert config['scsihw'] == 'virtio-scsi-single' and config['machine'] == 'q35'
    assert sha512('a') in config['description']
    assert images.requests == ['/debian/a.qcow2']
    # The downloaded file is deleted once the template has its own copy.
    assert not [v for v in lab.pve.storages['local'].get('volumes', {}) if v.startswith('import/debian12')]
    writes = [w for w in first.write_calls if not w[1].endswith('/status/current')]
    assert writes[0] == ('POST', '/nodes/pve1/storage/local/download-url')
    assert facts(first)['vmid'] == vm.vmid and facts(first)['built'] is True

    again = build(play, images).assert_ok()
    assert again.changed == 0 and again.writes == [], [r['task'] for r in again.results if r['status'] == 'changed']
    assert images.requests == ['/debian/a.qcow2']   # nothing downloaded
    assert facts(again)['built'] is False and facts(again)['vmid'] == vm.vmid


def test_check_mode_writes_nothing(lab, play, images):
    run = build(play, images, check=True).assert_ok()
    assert run.writes == [] and guests(lab) == {} and images.requests == []
    plan = run.task('Download the image into import content of local')['plan']
    volid = 'local:import/{0}-{1}.qcow2'.format(NAME, sha512('a')[:12])
    assert plan == ['download {0} to {1}'.format(images.url('/debian/a.qcow2'), volid)]


def test_a_new_image_builds_a_new_version_and_the_name_points_at_it(lab, play, images):
    build(play, images, 'a').assert_ok()
    first = guests(lab)[NAME].vmid
    run = build(play, images, 'b').assert_ok()
    now = guests(lab)
    assert sorted(now) == [NAME, NAME + '-v1']
    assert now[NAME + '-v1'].vmid == first and now[NAME + '-v1'].template
    assert now[NAME].vmid != first and now[NAME].template
    assert now[NAME].config['tags'] == 'img-' + sha512('b')[:12]
    assert now[NAME + '-v1'].config['tags'] == 'img-' + sha512('a')[:12]
    assert facts(run)['kept'] == [NAME + '-v1'] and facts(run)['removed'] == []   # golden_template_keep: 1
    again = build(play, images, 'b').assert_ok()
    assert again.changed == 0 and again.writes == []

    # A third image: with keep 1, the newest unused old version stays, the older one goes through safe_destroy.
    third = build(play, images, 'c').assert_ok()
    now = guests(lab)
    assert sorted(now) == [NAME, NAME + '-v2']   # image b became v2; v1 (image a) was destroyed
    assert now[NAME + '-v2'].config['tags'] == 'img-' + sha512('b')[:12]
    assert facts(third)['removed'] == [NAME + '-v1'] and facts(third)['kept'] == [NAME + '-v2']
    assert ('DELETE', '/nodes/pve1/qemu/{0}'.format(first)) in third.write_calls
    assert first not in [vm.vmid for vm in lab.pve.vms]


def test_a_first_build_stopped_before_its_conversion_is_finished_by_the_rerun(lab, play, images):
    """The first version is built under the stable name; if the run stops after the create (here PVE refuses the
    conversion once), the VM left there is the role's own (this image's tag): the rerun converts it, creating
    nothing new, instead of refusing it as a guest the role did not build."""
    lab.pve.fail('POST', '/nodes/pve1/qemu/300/template', 500, 'got timeout', times=1)
    failed = build(play, images, golden_template_vmid=300)
    assert failed.rc != 0 and failed.failed[0]['task'] == 'Convert the new version to a template of ' + NAME
    assert not guests(lab)[NAME].template
    run = build(play, images, golden_template_vmid=300).assert_ok()
    [vm] = guests(lab).values()
    assert vm.vmid == 300 and vm.name == NAME and vm.template
    assert ('POST', '/nodes/pve1/qemu') not in run.write_calls
    assert ('POST', '/nodes/pve1/qemu/300/template') in run.write_calls
    assert facts(run)['vmid'] == 300 and images.requests == ['/debian/a.qcow2']
    again = build(play, images, golden_template_vmid=300).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_a_new_version_stopped_before_taking_the_stable_name_is_finished_by_the_rerun(lab, play, images):
    """A new image: the previous version was renamed <name>-v1, then the run stopped before the new one (still
    <name>-next) took the stable name. The rerun renames that one; it does not build the image a second time."""
    build(play, images, 'a').assert_ok()
    first = guests(lab)[NAME].vmid
    lab.pve.fail('PUT', '/nodes/pve1/qemu/301/config', 500, 'got timeout', times=1)
    failed = build(play, images, 'b', golden_template_vmid=301)
    assert failed.rc != 0 and sorted(guests(lab)) == [NAME + '-next', NAME + '-v1']
    run = build(play, images, 'b', golden_template_vmid=301).assert_ok()
    now = guests(lab)
    assert sorted(now) == [NAME, NAME + '-v1'] and now[NAME].vmid == 301 and now[NAME].template
    assert now[NAME + '-v1'].vmid == first
    assert ('POST', '/nodes/pve1/qemu') not in run.write_calls
    assert images.requests == ['/debian/a.qcow2', '/debian/b.qcow2']
    again = build(play, images, 'b', golden_template_vmid=301).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_a_version_a_linked_clone_uses_stays_until_the_clone_is_gone(lab, play, images):
    build(play, images, 'a').assert_ok()
    first = guests(lab)[NAME].vmid
    clone = play([{'name': 'clone', 'iac.proxmox.pve_vm': {'name': 'web-1', 'clone': NAME, 'full': False}}])
    clone.assert_ok()
    run = build(play, images, 'b', golden_template_keep=0).assert_ok()
    assert facts(run)['in_use'] == [NAME + '-v1'] and facts(run)['removed'] == []
    assert guests(lab)[NAME + '-v1'].vmid == first
    again = build(play, images, 'b', golden_template_keep=0).assert_ok()
    assert again.changed == 0 and again.writes == []

    play([{'name': 'gone', 'iac.proxmox.pve_vm': {'name': 'web-1', 'state': 'absent'}}]).assert_ok()
    cleanup = build(play, images, 'b', golden_template_keep=0).assert_ok()
    assert facts(cleanup)['removed'] == [NAME + '-v1']
    assert sorted(guests(lab)) == [NAME]
    assert images.requests == ['/debian/a.qcow2', '/debian/b.qcow2']


def test_safe_destroy_guards_hold_an_old_version(lab, play, images):
    build(play, images, 'a').assert_ok()
    build(play, images, 'b').assert_ok()
    old = guests(lab)[NAME + '-v1']
    old.config['protection'] = 1
    run = build(play, images, 'b', golden_template_keep=0)
    assert run.rc != 0
    [failed] = run.failed
    assert 'it is protected (protection: 1)' in failed['result']['msg']
    assert run.writes == [] and old in lab.pve.vms


@pytest.mark.parametrize('extra,words', [
    ({'golden_template_allow_http': False}, ['golden_template_url=http://127.0.0.1', 'not https',
                                             'golden_template_allow_http: true']),
    ({'golden_template_image_storage': 'local-lvm'}, ["storage 'local-lvm' is not configured for content-type "
                                                      "'import'"]),
    ({'golden_template_node': 'pve9'}, ['node', 'pve9', 'no such node in the cluster']),
    ({'golden_template_checksum': 'not-hex'}, ['golden_template_checksum']),
    ({'golden_template_name': 'Debian_12'}, ['golden_template_name=Debian_12']),
])
def test_bad_input_is_refused_before_any_write(lab, play, images, extra, words):
    run = build(play, images, **extra)
    assert run.rc != 0
    [failed] = run.failed
    for word in words:
        assert word in failed['result']['msg'], failed['result']['msg']
    assert run.writes == [] and images.requests == [] and guests(lab) == {}


def test_a_taken_vmid_is_refused_before_any_write(lab, play, images):
    run = build(play, images, golden_template_vmid=9000)
    assert run.rc != 0
    assert 'golden_template_vmid=9000: guest 9000 exists already' in run.failed[0]['result']['msg']
    assert run.writes == [] and images.requests == []


def test_a_guest_of_that_name_the_role_did_not_build_is_refused(lab, play, images):
    play([{'name': 'plain', 'iac.proxmox.pve_vm': {'name': NAME, 'node': 'pve1', 'cores': 1}}]).assert_ok()
    run = build(play, images)
    assert run.rc != 0
    assert 'is not a template with an img-<checksum> tag' in run.failed[0]['result']['msg']
    assert run.writes == [] and images.requests == []
