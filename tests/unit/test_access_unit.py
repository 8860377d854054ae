"""Pure checks of the access modules (plugins/module_utils/_access.py): IDs, ACL paths, the privileges a
cluster knows."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._access import (
    check_acl_path, check_tokenid, check_userid, known_privileges)
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError


@pytest.mark.parametrize('path, normal', [('/', '/'), ('/vms/', '/vms'), ('//pool//team', '/pool/team'),
                                          ('/mapping/dir/data', '/mapping/dir/data')])
def test_acl_paths_are_normalized_as_pve_does(path, normal):
    assert check_acl_path('path', path) == normal


@pytest.mark.parametrize('path', ['/vms/../storage', '/..', '/pool/./x', 'vms/100', '/vms/1 00', '', None])
def test_bad_acl_paths_are_refused(path):
    with pytest.raises(ValidationError) as err:
        check_acl_path('path', path)
    assert err.value.option == 'path'


def test_dotdot_names_pves_own_words():
    with pytest.raises(ValidationError) as err:
        check_acl_path('path', '/vms/../storage')
    assert "invalid ACL path '/vms/../storage'" in str(err.value)


@pytest.mark.parametrize('userid', ['automation@pve', 'root@pam', 'a.b-c@ldap1'])
def test_user_ids(userid):
    assert check_userid('userid', userid) == userid


@pytest.mark.parametrize('userid', ['automation', '@pve', 'a b@pve', 'a/b@pve', 'a@', 'x' * 62 + '@pve'])
def test_bad_user_ids(userid):
    with pytest.raises(ValidationError):
        check_userid('userid', userid)


def test_token_ids_are_full():
    assert check_tokenid('tokens[0]', 'automation@pve!ansible') == 'automation@pve!ansible'
    for bad in ('automation@pve', 'automation@pve!1x', 'nouser!x1'):
        with pytest.raises(ValidationError):
            check_tokenid('tokens[0]', bad)


def test_a_token_name_of_one_character_is_refused_saying_why():
    """pve-access-control src/PVE/AccessControl.pm: a token name matches the realm pattern (a letter, then one
    or more letters, digits, ".", "-" or "_"), so it has at least two characters."""
    assert check_tokenid('tokens[0]', 'automation@pve!ab') == 'automation@pve!ab'
    with pytest.raises(ValidationError) as err:
        check_tokenid('tokens[0]', 'automation@pve!a')
    assert 'at least 2 characters' in str(err.value) and err.value.option == 'tokens[0]'


def test_the_administrator_role_lists_every_privilege():
    roles = [{'roleid': 'PVEAuditor', 'privs': 'VM.Audit', 'special': 1},
             {'roleid': 'Administrator', 'privs': 'VM.Audit,VM.Monitor,Sys.Audit', 'special': 1}]
    assert known_privileges(roles) == {'VM.Audit', 'VM.Monitor', 'Sys.Audit'}
    assert known_privileges(roles[:1]) is None
