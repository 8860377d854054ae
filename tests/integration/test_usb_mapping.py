"""iac.proxmox.pve_usb_mapping end to end: real playbooks against the lab's node USB hardware, asserting on
results and on the lab's request log."""

from urllib.parse import parse_qs

import pytest

YUBIKEY = '1050:0407'
MAPPING = {
    'id': 'tokens',
    'description': 'YubiKey and backup disk',
    'map': [{'node': 'pve1', 'id': YUBIKEY}, {'node': 'pve2', 'id': YUBIKEY}, {'node': 'pve1', 'path': '2-1'}],
}


def mapping_task(name='mapping', **overrides):
    args = dict(MAPPING)
    args.update(overrides)
    args = {k: v for k, v in args.items() if v is not None}
    return {'name': name, 'iac.proxmox.pve_usb_mapping': args, 'register': 'out'}


def test_create_fills_the_path_id_and_reruns_without_a_write(lab, play):
    first = play([mapping_task()]).assert_ok()
    result = first.task('mapping')
    assert result['changed'] is True and first.write_calls == [('POST', '/cluster/mapping/usb')]
    stored = lab.pve.mappings['usb']['tokens']
    # The port's entry got the ID of the device plugged in there (the SanDisk disk on bus 2, port 1).
    assert sorted(stored['map']) == ['id=0781:5583,node=pve1,path=2-1', 'id=1050:0407,node=pve1',
                                     'id=1050:0407,node=pve2']
    assert stored['description'] == 'YubiKey and backup disk'
    assert result['mapping']['map'] == [{'node': 'pve1', 'id': '0781:5583', 'path': '2-1'},
                                        {'node': 'pve1', 'id': YUBIKEY}, {'node': 'pve2', 'id': YUBIKEY}]
    # Hardware read once per node: pve1 for the path's ID and the checks, pve2 for its check.
    hardware = sorted(p for m, p in first.calls if p.endswith('/hardware/usb'))
    assert hardware == ['/nodes/pve1/hardware/usb', '/nodes/pve2/hardware/usb']
    # The node list is read once, before the first hardware read, and shared with the check before the write.
    assert first.calls.count(('GET', '/nodes')) == 1
    assert first.calls.index(('GET', '/nodes')) < first.calls.index(('GET', '/nodes/pve1/hardware/usb'))
    assert lab.pve.usb_mapping_errors('tokens', 'pve1') == [] and lab.pve.usb_mapping_errors('tokens', 'pve2') == []

    second = play([mapping_task(map=list(reversed(MAPPING['map'])))]).assert_ok()
    assert second.changed == 0 and second.writes == []
    # Unchanged: one read; the path's ID comes from the stored entry, no hardware read.
    assert second.calls == [('GET', '/cluster/mapping/usb')]
    upper = play([mapping_task(map=[{'node': 'pve1', 'id': '1050:0407'.upper()}, {'node': 'pve2', 'id': YUBIKEY},
                                    {'node': 'pve1', 'path': '2-1', 'id': '0781:5583'}])]).assert_ok()
    assert upper.changed == 0 and upper.writes == []


def test_change_sends_the_whole_map_with_the_digest(lab, play):
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1'], description='old')
    digest = lab.pve.mapping_digest('usb')
    run = play([mapping_task(map=[{'node': 'pve1', 'id': YUBIKEY}, {'node': 'pve1', 'path': '1-4.1'}])],
               diff=True).assert_ok()
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/mapping/usb/tokens') and parse_qs(body.decode())['digest'] == [digest]
    stored = sorted(lab.pve.mappings['usb']['tokens']['map'])
    assert stored == ['id=051d:0002,node=pve1,path=1-4.1', 'id=1050:0407,node=pve1']
    # A port-only entry reads the hardware to fill its ID; the node list is still read once per run.
    assert run.calls == [('GET', '/cluster/mapping/usb'), ('GET', '/nodes'), ('GET', '/nodes/pve1/hardware/usb'),
                         ('PUT', '/cluster/mapping/usb/tokens')]
    result = run.task('mapping')
    assert result['plan'] == ['update usb mapping tokens: description, map']
    assert result['diff']['before']['description'] == 'old'
    assert result['diff']['before']['map'] == [{'node': 'pve1', 'id': YUBIKEY}]
    assert result['diff']['after']['map'] == [{'node': 'pve1', 'id': '051d:0002', 'path': '1-4.1'},
                                              {'node': 'pve1', 'id': YUBIKEY}]


def test_description_alone_still_sends_the_map_pve_requires(lab, play):
    """PVE's USB kind has `map` required on update: a description change carries the stored list along."""
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1'], description='old')
    run = play([mapping_task(map=None, description='new')]).assert_ok()
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/mapping/usb/tokens')
    sent = parse_qs(body.decode())
    assert sent['map'] == ['id=1050:0407,node=pve1'] and sent['description'] == ['new']
    assert lab.pve.mappings['usb']['tokens'] == {'map': ['id=1050:0407,node=pve1'], 'description': 'new'}
    assert not any(p.endswith('/hardware/usb') for m, p in run.calls)
    cleared = play([mapping_task(map=None, description='')]).assert_ok()
    assert cleared.task('mapping')['changed'] is True and 'description' not in lab.pve.mappings['usb']['tokens']


def test_check_mode_writes_nothing_and_shows_the_plan(lab, play):
    run = play([mapping_task()], check=True, diff=True).assert_ok()
    result = run.task('mapping')
    assert result['changed'] is True and result['plan'] == ['create usb mapping tokens']
    assert result['diff']['after']['map'][0] == {'node': 'pve1', 'id': '0781:5583', 'path': '2-1'}
    assert run.writes == [] and lab.pve.mappings['usb'] == {}
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1'])
    run = play([mapping_task(), mapping_task('remove', state='absent', map=None, description=None)],
               check=True).assert_ok()
    assert run.task('mapping')['plan'] == ['update usb mapping tokens: description, map']
    assert run.task('remove')['plan'] == ['delete usb mapping tokens']
    assert run.writes == [] and lab.pve.mappings['usb']['tokens'] == {'map': ['id=1050:0407,node=pve1']}


def test_absent_deletes_then_is_unchanged(lab, play):
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1'])
    gone = play([mapping_task(state='absent', map=None)], diff=True).assert_ok()
    assert gone.write_calls == [('DELETE', '/cluster/mapping/usb/tokens')] and lab.pve.mappings['usb'] == {}
    assert gone.task('mapping')['diff']['after'] == {}
    again = play([mapping_task(state='absent', map=None)]).assert_ok()
    assert again.changed == 0 and again.writes == []


@pytest.mark.parametrize('entry, message', [
    ({'node': 'pve1', 'id': '1050-0407'},
     "map[0].id: '1050-0407' is invalid: must be vendor:device in hex, such as 1050:0407"),
    ({'node': 'pve1', 'path': '2:1'}, "map[0].path: '2:1' is invalid: must be a USB port path bus-port"),
    ({'node': 'pve1'}, 'give the device as id (vendor:device) or path (bus-port)'),
    ({'node': 'pve1', 'path': '1-3'}, "map[0].path: '1-3' is invalid: no USB device at this port on node pve1 "
                                      '(devices: 1-2 1050:0407 Yubico YubiKey OTP+FIDO+CCID, 1-4 05e3:0610'),
    ({'node': 'pve2', 'id': '0781:5583'}, "map[0].id: '0781:5583' is invalid: no USB device with this "
                                          'vendor:device ID on node pve2'),
    ({'node': 'pve1', 'path': '2-1', 'id': YUBIKEY},
     "map[0].id: '1050:0407' is invalid: the device at 2-1 on node pve1 is 0781:5583"),
    ({'node': 'pve9', 'id': YUBIKEY}, "map[0].node: 'pve9' is invalid: no such node in the cluster (nodes: pve1, "
                                      'pve2)'),
    ({'node': 'pve9', 'path': '1-2'}, "map[0].node: 'pve9' is invalid: no such node in the cluster"),
    ({'node': 'pve1', 'id': YUBIKEY, 'description': 'a,b'}, "map[0].description: 'a,b' is invalid"),
])
def test_bad_entries_are_refused_before_any_write(lab, play, entry, message):
    run = play([mapping_task(map=[entry])])
    assert run.status('mapping') == 'failed'
    assert message in run.task('mapping')['msg']
    assert run.writes == [] and lab.pve.mappings['usb'] == {}


def test_bad_id_and_duplicates_are_refused(lab, play):
    bad = play([mapping_task(id='x')])
    assert "id: 'x' is invalid" in bad.task('mapping')['msg'] and bad.writes == []
    twice = play([mapping_task(map=[{'node': 'pve1', 'id': YUBIKEY}, {'node': 'pve1', 'id': YUBIKEY.upper()}])])
    assert "map[1]: '1050:0407' is invalid: is listed twice for node pve1 (map[0])" in twice.task('mapping')['msg']
    assert twice.writes == []
    missing = play([mapping_task(map=None)])
    assert "tokens' does not exist yet" in missing.task('mapping')['msg'] and missing.writes == []


def test_an_unchanged_entry_is_not_rechecked_against_the_hardware(lab, play):
    """A stored entry whose device is unplugged stays as it is; only the entries a run writes are checked."""
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1,path=1-2'])
    del lab.pve.usb_devices['pve1']['1-2']
    run = play([mapping_task(map=[{'node': 'pve1', 'path': '1-2'}, {'node': 'pve2', 'id': YUBIKEY}])]).assert_ok()
    assert run.write_calls == [('PUT', '/cluster/mapping/usb/tokens')]
    stored = sorted(lab.pve.mappings['usb']['tokens']['map'])
    assert stored == ['id=1050:0407,node=pve1,path=1-2', 'id=1050:0407,node=pve2']
    assert [p for m, p in run.calls if p.endswith('/hardware/usb')] == ['/nodes/pve2/hardware/usb']
    assert run.calls.count(('GET', '/nodes')) == 1
