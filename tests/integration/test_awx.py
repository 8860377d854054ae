"""An AWX job template, as ansible-runner runs it: site.yml with the credentials only in the environment
variables the custom credential type (docs/awx/credential-type.yml) injects."""

import os
import shutil
import sys

import ansible_runner
import jinja2
import yaml

from labtools import COLLECTIONS, ROOT


def injected(credential_type, inputs, tmp_path):
    """What AWX does with a credential of this type: render the injectors over the inputs (files first)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    filenames = {}
    for key, template in credential_type['injectors'].get('file', {}).items():
        name = key.split('.', 1)[1]
        path = tmp_path / 'awx-credential-{0}'.format(name)
        path.write_text(env.from_string(template).render(**inputs))
        filenames[name] = str(path)
    context = dict(inputs, tower={'filename': filenames})
    return dict((k, env.from_string(v).render(**context)) for k, v in credential_type['injectors']['env'].items())


def test_site_through_ansible_runner_with_injected_credentials(lab, tmp_path):
    with open(os.path.join(ROOT, 'docs', 'awx', 'credential-type.yml')) as fh:
        credential_type = yaml.safe_load(fh)
    conn = lab.connection()
    with open(conn['ca_path']) as fh:
        ca_pem = fh.read()
    inputs = {'host': conn['api_host'], 'port': str(conn['api_port']), 'user': conn['api_user'],
              'token_id': conn['api_token_id'], 'token_secret': conn['api_token_secret'], 'password': '',
              'ca_cert': ca_pem}
    fields = [f['id'] for f in credential_type['inputs']['fields']]
    assert set(inputs) == set(fields)
    env = injected(credential_type, inputs, tmp_path)
    assert sorted(env) == ['PROXMOX_CA_PATH', 'PROXMOX_HOST', 'PROXMOX_PASSWORD', 'PROXMOX_PORT',
                           'PROXMOX_TOKEN_ID', 'PROXMOX_TOKEN_SECRET', 'PROXMOX_USER']
    # The project: this repository's playbooks with an inventory that has no connection variables at all.
    private = tmp_path / 'runner'
    project = private / 'project'
    shutil.copytree(os.path.join(ROOT, 'playbooks'), str(project))
    os.remove(str(project / 'inventory' / 'lab' / 'group_vars' / 'all' / 'connection.yml'))
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'),
               ANSIBLE_HOME=str(tmp_path / 'home'), PATH=os.path.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    runs = []
    for label in ('first', 'second'):
        result = ansible_runner.run(private_data_dir=str(private), playbook='site.yml',
                                    inventory=str(project / 'inventory' / 'lab'), envvars=env, quiet=True,
                                    ident=label)
        runs.append(result)
        assert result.status == 'successful', result.stdout.read()
    first, second = runs
    assert sum(first.stats['changed'].values()) > 0
    assert sum(second.stats['changed'].values()) == 0
    names = sorted(vm.name for vm in lab.pve.vms if vm.name.startswith('demo-'))
    assert names == ['demo-web-01', 'demo-web-02']
    assert [ct.name for ct in lab.pve.cts] == ['demo-ct-01']
    # The secret went in through the environment only: never into the job's output.
    for result in runs:
        assert conn['api_token_secret'] not in result.stdout.read()
