"""The lab's node USB hardware and USB mappings follow PVE's sources, wording included."""

from labtools import error_of


def test_node_usb_hardware_as_scan_usb_walks_sysfs(api):
    """pve-common PVE/SysFSTools.pm scan_usb / __scan_usb_device (the list pve-manager
    PVE/API2/Hardware/USB.pm usbscan returns): depth-first from each root hub; level is the depth, port the last
    port number minus one, usbpath the sysfs name without the bus (root hubs have none), class an integer,
    vendid/prodid sysfs' lower-case hex, no serial (`my $serial => ...` never sets it)."""
    devices = api.get('/nodes/pve1/hardware/usb')
    assert [(d['busnum'], d.get('usbpath'), d['level'], d['port']) for d in devices] == [
        (1, None, 0, 0), (1, '2', 1, 1), (1, '4', 1, 3), (1, '4.1', 2, 0), (2, None, 0, 0), (2, '1', 1, 0)]
    yubikey = devices[1]
    assert yubikey == {'busnum': 1, 'devnum': 3, 'level': 1, 'port': 1, 'usbpath': '2', 'class': 0,
                       'speed': '12', 'vendid': '1050', 'prodid': '0407', 'manufacturer': 'Yubico',
                       'product': 'YubiKey OTP+FIDO+CCID'}
    root = devices[0]
    assert root['vendid'] == '1d6b' and root['class'] == 9 and 'usbpath' not in root
    assert all('serial' not in d for d in devices)
    assert [(d['busnum'], d.get('usbpath')) for d in api.get('/nodes/pve2/hardware/usb')] == [(1, None), (1, '1')]


def test_usb_mapping_lifecycle_and_wording(lab, api):
    """pve-manager PVE/API2/Cluster/Mapping/USB.pm create/get/update/delete: "usb ID '<id>' already defined"
    under "create hardware mapping failed", "mapping '<id>' not found", the digest check and "does not exist"
    under "update hardware mapping failed", delete of a missing ID succeeds."""
    api.post('/cluster/mapping/usb', id='yubikey', description='2FA', map=['id=1050:0407,node=pve1,path=1-2'])
    entry = api.get('/cluster/mapping/usb/yubikey')
    assert entry['map'] == ['id=1050:0407,node=pve1,path=1-2'] and entry['description'] == '2FA'
    assert entry['digest'] == lab.pve.mapping_digest('usb')
    again = error_of(api.post, '/cluster/mapping/usb', id='yubikey', map=['id=1050:0407,node=pve1'])
    assert again.message == "create hardware mapping failed: usb ID 'yubikey' already defined"
    assert error_of(api.get, '/cluster/mapping/usb/nope').message == "mapping 'nope' not found"
    assert error_of(api.put, '/cluster/mapping/usb/nope', map=['id=1050:0407,node=pve1']).message == \
        "update hardware mapping failed: usb ID 'nope' does not exist"
    # PVE::Mapping::USB's propertyList has `map` without `optional`, so SectionConfig::updateSchema makes it a
    # required parameter of every update (the PCI and directory kinds mark it optional).
    no_map = error_of(api.put, '/cluster/mapping/usb/yubikey', description='x')
    assert no_map.status == 400 and no_map.errors == {'map': 'property is missing and it is not optional'}
    stale = error_of(api.put, '/cluster/mapping/usb/yubikey', description='x', map=entry['map'], digest='0' * 40)
    assert stale.message == ('update hardware mapping failed: detected modified configuration - file changed by '
                             'other user? Try again.')
    api.put('/cluster/mapping/usb/yubikey', map=['id=1050:0407,node=pve1', 'id=1050:0407,node=pve2'],
            delete='description', digest=entry['digest'])
    entry = api.get('/cluster/mapping/usb/yubikey')
    assert 'description' not in entry and entry['map'] == ['id=1050:0407,node=pve1', 'id=1050:0407,node=pve2']
    api.delete('/cluster/mapping/usb/yubikey')
    api.delete('/cluster/mapping/usb/yubikey')
    assert api.get('/cluster/mapping/usb') == []


def test_usb_map_entries_are_checked_against_the_schema(api):
    """pve-guest-common PVE/Mapping/USB.pm $map_fmt: id is required and vendor:device in hex, path is
    bus-port[.port...]; PVE's JSON schema check answers 400 per map item before the handler runs."""
    bad_path = error_of(api.post, '/cluster/mapping/usb', id='stick', map=['id=0781:5583,node=pve1,path=2:1'])
    assert bad_path.status == 400
    assert bad_path.errors == {'map[0]': 'invalid format - format error\npath: value does not match the regex '
                                         'pattern\n'}
    bad_id = error_of(api.post, '/cluster/mapping/usb', id='stick', map=['id=0781-5583,node=pve1'])
    assert bad_id.errors['map[0]'] == 'invalid format - format error\nid: value does not match the regex pattern\n'
    no_id = error_of(api.post, '/cluster/mapping/usb', id='stick', map=['node=pve1,path=2-1'])
    assert no_id.status == 400 and 'id: property is missing and it is not optional' in no_id.errors['map[0]']


def test_usb_mapping_check_node_as_assert_valid(lab, api):
    """pve-guest-common PVE/Mapping/USB.pm assert_valid (a path must be a device whose vendor:device is the
    entry's id; an id alone must be some device of the node) and pve-manager PVE/API2/Cluster/Mapping/USB.pm
    index, which lists the findings under `errors` with "Invalid configuration: " and warns about a node
    without an entry."""
    lab.pve.add_mapping('usb', 'wrong', ['id=1050:0407,node=pve1,path=2-1'])
    lab.pve.add_mapping('usb', 'gone', ['id=1050:0407,node=pve1,path=1-3'])
    lab.pve.add_mapping('usb', 'byid', ['id=0781:5583,node=pve1'])
    lab.pve.add_mapping('usb', 'good', ['id=051d:0002,node=pve1,path=1-4.1'])
    found = dict((e['id'], e['errors']) for e in api.get('/cluster/mapping/usb', **{'check-node': 'pve1'}))
    assert found == {
        'wrong': [{'severity': 'error', 'message': "Invalid configuration: 'id' does not match for 'wrong' "
                                                   "(0781:5583 != 1050:0407)"}],
        'gone': [{'severity': 'error', 'message': "Invalid configuration: usb device '1-3' not found"}],
        'byid': [], 'good': []}
    found = dict((e['id'], e['errors']) for e in api.get('/cluster/mapping/usb', **{'check-node': 'pve2'}))
    assert found['byid'] == [{'severity': 'warning', 'message': 'No mapping for node pve2.'}]
    assert 'checks' not in api.get('/cluster/mapping/usb', **{'check-node': 'pve1'})[0]
