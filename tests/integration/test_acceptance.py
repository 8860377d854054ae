"""The real-cluster acceptance suite (make acceptance) against the lab, so that it cannot rot.

The playbook is exactly the one `make acceptance` runs (tests/acceptance/acceptance.yml, its inventory, the
settings of tests/acceptance/vars.lab.yml), the connection comes from the PROXMOX_* environment variables with
the lab's own CA, and the lab's request log is split into the suite's phases by the result times of its
"Phase ..." marker tasks.
"""

import copy
import json
import os
import re
from urllib.parse import parse_qs

import yaml

from labtools import ROOT, run_playbook
from pvelab import is_write
from test_lxc import add_ct
from test_privileges import documented_privileges, token_env
from test_vm import add_vm

SUITE = os.path.join(ROOT, 'tests', 'acceptance')
PLAYBOOK = os.path.join(SUITE, 'acceptance.yml')
INVENTORY = os.path.join(SUITE, 'inventory.yml')
LAB_VARS = os.path.join(SUITE, 'vars.lab.yml')
PREFIX = 'iac-acc-'
TAG = 'iac-acceptance'
TEMPLATE = 9000
PHASES = ('preflight', 'leftovers', 'converge', 'rerun', 'check mode', 'destroy', 'cleanup')
GUEST_PATH = re.compile(r'^/nodes/[^/]+/(?:qemu|lxc)/(\d+)(?:/|$)')


def proxmox_env(lab):
    """The PROXMOX_* variables a user exports for make acceptance, naming the lab (its CA verifies it)."""
    conn = lab.connection(auth='token')
    return {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': conn['api_user'],
            'PROXMOX_TOKEN_ID': conn['api_token_id'], 'PROXMOX_TOKEN_SECRET': conn['api_token_secret'],
            'PROXMOX_CA_PATH': conn['ca_path']}


def run_suite(lab, tmp_path, settings=None, env=None):
    """ansible-playbook -i inventory.yml acceptance.yml -e @vars.lab.yml [-e @settings] -> (PlayRun, phases).

    phases: {phase: [(method, path, body), ...]}, every request of the run in exactly one phase."""
    args = ['-e', '@' + LAB_VARS]
    if settings:
        path = tmp_path / 'settings.yml'
        path.write_text(yaml.safe_dump(settings))
        args += ['-e', '@' + str(path)]
    log = tmp_path / 'requests.jsonl'
    if log.exists():
        log.unlink()
    lab.pve.request_log_path = str(log)
    run = run_playbook(lab, tmp_path, PLAYBOOK, env=env or proxmox_env(lab), args=args, inventory=INVENTORY,
                       name='acceptance')
    lab.pve.request_log_path = None
    times = [json.loads(line)['t'] for line in log.read_text().splitlines()] if log.exists() else []
    assert len(times) == len(run.requests), 'the request log and the lab disagree'
    starts = [(r['t'], r['task'][len('Phase '):]) for r in run.results if r['task'].startswith('Phase ')]
    phases = dict((name, []) for name in PHASES)
    for when, request in zip(times, run.requests):
        current = [name for start, name in starts if start < when]
        phases[current[-1] if current else 'preflight'].append(request)
    return run, phases


def writes(requests):
    return [(r[0], r[1]) for r in requests if is_write(r[0], r[1])]


def body_of(request):
    body = request[2] or b''
    return dict((k, v[0]) for k, v in parse_qs(body.decode() if isinstance(body, bytes) else body).items())


def suite_vmids(requests):
    """The VMIDs the run created: clone's newid, a container create's vmid."""
    made = set()
    for request in requests:
        if request[0] != 'POST':
            continue
        if request[1].endswith('/clone'):
            made.add(int(body_of(request)['newid']))
        elif re.match(r'^/nodes/[^/]+/lxc$', request[1]):
            made.add(int(body_of(request)['vmid']))
    return made


def suite_guests(lab):
    return sorted(g.name for g in list(lab.pve.vms) + list(lab.pve.cts) if (g.name or '').startswith(PREFIX))


def seed_neighbours(lab):
    """Guests a user has on the cluster: none of them may be touched. One carries the tag but not the prefix,
    one a name that only looks like the prefix."""
    add_vm(lab, 700, 'web-01', tags='iac-acceptance;prod', status='running')
    add_vm(lab, 701, 'iac-accounting', tags='iac-acceptance', node='pve2')
    add_ct(lab, 702, 'db-01', tags='iac-acceptance', status='running')
    return dict((g.vmid, copy.deepcopy(g.config)) for g in list(lab.pve.vms) + list(lab.pve.cts))


def test_acceptance_suite_runs_clean_against_the_lab(lab, tmp_path):
    """The whole suite, PCI scenario included, with a token that has exactly the role docs/real-cluster.md
    documents (as docs/real-cluster.md says it needs)."""
    before = seed_neighbours(lab)
    settings = {'acceptance_pci_map': [{'node': 'pve1', 'path': '0000:01:00'}]}
    run, phases = run_suite(lab, tmp_path, settings, env=token_env(lab, documented_privileges(), tmp_path))
    run.assert_ok()

    # Nothing written before the converge, on the rerun, in check mode, or by the final cleanup.
    for phase in ('preflight', 'leftovers', 'rerun', 'check mode', 'cleanup'):
        assert writes(phases[phase]) == [], (phase, writes(phases[phase]))
    assert writes(phases['converge']) and writes(phases['destroy'])
    assert run.status('Rerun changed nothing') == 'ok' and run.status('Check mode changed nothing') == 'ok'

    # The template built on shared storage, then one clone per node from it, and the container.
    made = suite_vmids(run.requests)
    clones = [(r[1], body_of(r)) for r in run.requests if r[0] == 'POST' and r[1].endswith('/clone')]
    assert len(clones) == 3 and len(made) == 4, clones
    built = clones[0]
    assert built[0] == '/nodes/pve1/qemu/{0}/clone'.format(TEMPLATE)
    assert built[1]['name'] == PREFIX + 'template' and built[1]['storage'] == 'nfs.01'
    shared = int(built[1]['newid'])
    assert [(path, body['name'], body.get('target')) for path, body in clones[1:]] == [
        ('/nodes/pve1/qemu/{0}/clone'.format(shared), PREFIX + 'vm1', None),
        ('/nodes/pve1/qemu/{0}/clone'.format(shared), PREFIX + 'vm2', 'pve2')]
    assert ('POST', '/nodes/pve1/qemu/{0}/template'.format(shared)) in writes(phases['converge'])
    verified = [r for r in run.results if r['task'] == 'The guests are where and as the suite asked']
    assert verified and verified[0]['status'] == 'ok'

    # No request touched a guest that is not the suite's; the seeded template was only read and cloned from.
    for method, path, _body in run.requests:
        found = GUEST_PATH.match(path)
        if not found:
            continue
        vmid = int(found.group(1))
        if vmid == TEMPLATE:
            assert method == 'GET' or (method, path) == ('POST', '/nodes/pve1/qemu/9000/clone'), (method, path)
        else:
            assert vmid in made, (method, path)

    # Everything of the suite is gone; the neighbours and the template are as they were.
    assert suite_guests(lab) == []
    assert lab.pve.mappings['dir'] == {} and lab.pve.mappings['pci'] == {}
    after = dict((g.vmid, g.config) for g in list(lab.pve.vms) + list(lab.pve.cts))
    assert after == before


def test_acceptance_suite_refuses_a_prefixed_guest_without_the_tag(lab, tmp_path):
    add_vm(lab, 710, PREFIX + 'vm1', tags='prod')
    run, phases = run_suite(lab, tmp_path)
    assert run.rc != 0
    failed = run.failed[0]
    assert failed['task'] == "Refuse guests with the suite's prefix that are not the suite's"
    assert failed['result']['msg'] == (
        "Refusing to run: a guest whose name starts with '{0}' but lacks the tag '{1}' is not the suite's: "
        "{0}vm1 (VMID 710). Choose another acceptance_prefix. Nothing was changed.".format(PREFIX, TAG))
    assert run.writes == [] and suite_guests(lab) == [PREFIX + 'vm1']
    assert writes(phases['cleanup']) == []


SHARED_TEMPLATE = 9001
SHARED_TEMPLATE_NAME = 'debian-12-golden-shared'


def test_acceptance_suite_checks_its_settings_before_any_write(lab, tmp_path):
    run, _phases = run_suite(lab, tmp_path, {'acceptance_template': 'web-01'})
    assert run.rc != 0 and run.writes == []
    add_vm(lab, 720, 'web-01')
    run, _phases = run_suite(lab, tmp_path, {'acceptance_template': 'web-01'})
    assert run.rc != 0 and run.writes == []
    [failed] = [r for r in run.results if r['status'] == 'failed']
    assert failed['task'] == 'The template to start from exists'
    assert "acceptance_template 'web-01' must name exactly one guest of the cluster, and that a template; it " \
        "names VMIDs [720] (not a template). Nothing was changed." in json.dumps(failed['result'])
    run, _phases = run_suite(lab, tmp_path, {'acceptance_shared_storage': '', 'acceptance_prefix': 'Bad'})
    assert run.rc != 0 and run.writes == [] and run.failed[0]['task'] == 'The settings make sense'


def test_acceptance_suite_refuses_a_mapping_of_its_id_without_the_marker(lab, tmp_path):
    lab.pve.add_mapping('dir', PREFIX + 'dir', ['node=pve1,path=/srv/datasets'], description='team data')
    run, _phases = run_suite(lab, tmp_path)
    assert run.rc != 0
    failed = run.failed[0]
    assert failed['task'] == "Refuse mappings with the suite's IDs that are not the suite's"
    assert "the directory mapping '{0}dir' exists and its description does not carry '{1}' (team data)".format(
        PREFIX, TAG) in json.dumps(failed['result'])
    assert run.writes == [] and lab.pve.mappings['dir'][PREFIX + 'dir']['description'] == 'team data'


def test_acceptance_suite_cleans_up_after_a_failed_step(lab, tmp_path):
    """From a template the user names (on shared storage), the VMs are cloned onto both nodes; then the
    container's create fails (a full storage, say): the VMs and the mapping made so far are removed all the
    same, the user's template is left alone, and the run fails."""
    assert lab.pve.vm(SHARED_TEMPLATE).name == SHARED_TEMPLATE_NAME  # seeded on nfs.01 (tests/lab/pvelab/topology.py)
    template_config = copy.deepcopy(lab.pve.vm(SHARED_TEMPLATE).config)
    lab.pve.fail_fields('POST', '/nodes/pve1/lxc', {'rootfs': 'storage is full'}, times=1)
    run, phases = run_suite(lab, tmp_path, {'acceptance_shared_template': SHARED_TEMPLATE_NAME,
                                            'acceptance_shared_storage': ''})
    assert run.rc != 0
    assert [r['task'] for r in run.failed] == ['Container {0}ct1'.format(PREFIX)]
    assert 'storage is full' in json.dumps(run.failed[0]['result'])
    clones = [(r[1], body_of(r).get('target'), body_of(r).get('storage')) for r in run.requests
              if r[0] == 'POST' and r[1].endswith('/clone')]
    assert clones == [('/nodes/pve1/qemu/9001/clone', None, None), ('/nodes/pve1/qemu/9001/clone', 'pve2', None)]
    assert writes(phases['converge']) and writes(phases['cleanup'])
    assert suite_guests(lab) == [] and lab.pve.mappings['dir'] == {}
    assert lab.pve.vm(SHARED_TEMPLATE).config == template_config
    made = suite_vmids(run.requests)
    touched = set(int(m.group(1)) for m in (GUEST_PATH.match(r[1]) for r in run.requests) if m)
    assert touched - made == {SHARED_TEMPLATE}
    assert [w for w in run.write_calls if '/{0}/'.format(SHARED_TEMPLATE) in w[1]] == [
        ('POST', '/nodes/pve1/qemu/9001/clone')] * 2
    # No PCI map given: the PCI scenario was skipped, nothing of it sent.
    assert not [r for r in run.requests if '/cluster/mapping/pci' in r[1] and r[0] != 'GET']
