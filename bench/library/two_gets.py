# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench's requests floor: the least a requests-based module can do for one guest of an unchanged rerun.

It imports what any such module must (AnsibleModule, requests), then sends the two GETs pve_vm sends for a guest
whose node is given (status/current and pending), in parallel on two sessions, with API token auth and the lab
CA, and reports changed=false. No validation, no comparison, no plan: the gap between this and the ping floor is
the libraries' and the API's share; the gap between pve_vm and this is the collection's own.
"""
import threading

import requests
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        vmid=dict(type='int', required=True), node=dict(type='str', required=True),
        api_host=dict(type='str', required=True), api_port=dict(type='int', default=8006),
        api_user=dict(type='str', required=True), api_token_id=dict(type='str', required=True),
        api_token_secret=dict(type='str', required=True, no_log=True), ca_path=dict(type='path', required=True)))
    params = module.params
    base = 'https://{0}:{1}/api2/json/nodes/{2}/qemu/{3}/'.format(
        params['api_host'], params['api_port'], params['node'], params['vmid'])
    headers = {'Authorization': 'PVEAPIToken={0}!{1}={2}'.format(params['api_user'], params['api_token_id'],
                                                                 params['api_token_secret'])}
    answers = {}

    def get(path):
        with requests.Session() as session:
            answers[path] = session.get(base + path, headers=headers, verify=params['ca_path'], timeout=30)

    other = threading.Thread(target=get, args=('pending',))
    other.start()
    get('status/current')
    other.join()
    failed = [path for path, answer in answers.items() if answer.status_code != 200]
    if failed:
        module.fail_json(msg='GET {0} failed'.format(', '.join(failed)))
    module.exit_json(changed=False, status=answers['status/current'].json()['data']['status'])


if __name__ == '__main__':
    main()
