#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_storage_content
short_description: Manage a file on a Proxmox VE storage (ISO image, container template, disk image to import)
version_added: 0.1.0
description:
  - Makes sure a file is, or is not, on a file-based storage of a node, by O(node), O(storage), O(content) and
    O(filename); its volume ID is C(<storage>:<content>/<filename>).
  - With O(url), PVE itself downloads the file (C(download-url)); the controller never needs to reach the URL.
    PVE verifies O(checksum) and, for C(https), the server's certificate. A failed download or a wrong checksum
    fails the task with PVE's message and leaves no file behind.
  - With O(src), the module uploads a local file (C(upload)).
  - Idempotent by presence. A file that is there is left alone (with O(src), unless its size differs from the
    local file's); O(force) fetches or uploads it again. A run that changes nothing sends no write request.
  - When the file is missing and a download of the same file name is already running on the node (another play,
    or an earlier run that timed out), the module waits for that task instead of starting a second download.
  - O(state=absent) deletes the file, but refuses while the config of a guest references it (an ISO in a CD
    drive, say), naming those guests.
  - Every value is checked before anything is written, as PVE checks it; the storage must exist on the node
    and be configured for the content type.
  - Supports check mode (no write request at all; RV(plan) shows what would be done) and diff mode.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists what would be.
    support: full
  diff_mode:
    description: Supported; shows the file (volume ID, size, format) before and after.
    support: full
options:
  node:
    description: The node whose storage holds the file (for a shared storage, any node that has it).
    type: str
    required: true
  storage:
    description:
      - The storage ID. It must be file based (dir, NFS, CIFS, CephFS, BTRFS) and configured for O(content).
    type: str
    required: true
  content:
    description:
      - The content type, which decides the file's directory on the storage and the extensions PVE accepts.
      - V(iso) for CD/DVD images (C(.iso), C(.img)); V(vztmpl) for container templates (C(.tar), C(.tar.gz),
        C(.tar.xz), C(.tar.zst), C(.tar.bz2)); V(import) for disk images and appliances to import VMs from
        (C(.qcow2), C(.raw), C(.vmdk), C(.ova); PVE 8.2 and later).
    type: str
    required: true
    choices: [iso, vztmpl, import]
  filename:
    description:
      - The file's name on the storage. Letters, digits, C(_), C(.) and C(-) only (PVE would rename anything
        else), with an extension that fits O(content).
    type: str
    required: true
  url:
    description:
      - The C(http://) or C(https://) URL PVE downloads the file from. Mutually exclusive with O(src).
      - With neither O(url) nor O(src), the module only checks that the file is there.
    type: str
  src:
    description:
      - A file on the host the module runs on (the controller, when the play runs the PVE modules on localhost as
        usual) to upload. Mutually exclusive with O(url). The upload is held in memory while it is sent.
    type: path
  checksum:
    description:
      - The file's expected checksum, in hexadecimal. PVE computes it on what it downloaded or received and fails
        the task, keeping no file, when it differs. Requires O(checksum_algorithm).
    type: str
  checksum_algorithm:
    description: The algorithm of O(checksum).
    type: str
    choices: [md5, sha1, sha224, sha256, sha384, sha512]
  verify_certificates:
    description:
      - Whether PVE verifies the TLS certificate of an C(https) O(url) against the node's trusted CAs. Turning it
        off lets anyone on the path between node and server swap the file; prefer O(checksum) then.
    type: bool
    default: true
  force:
    description:
      - Download or upload the file again even though it is there. PVE never overwrites a download, so the module
        deletes the file first (refused, like O(state=absent), only by PVE's own rules).
    type: bool
    default: false
  state:
    description: V(present) puts the file there; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description: Seconds to wait for PVE's download, upload or delete task.
    type: int
    default: 3600
notes:
  - Downloading needs C(Datastore.AllocateTemplate) on the storage and C(Sys.AccessNetwork) on the node (or
    C(Sys.Audit) and C(Sys.Modify) on C(/)); uploading C(Datastore.AllocateTemplate); deleting
    C(Datastore.Allocate). Checking the guests before a delete needs C(VM.Audit) on them.
  - Deleting reads the guest list and then the config of every guest that can use the file (on a shared storage
    all guests of the cluster, else those on O(node)), 8 at a time - 1 + N requests. Snapshots are not searched.
  - PVE does not tell whether a file at a URL changed; a new image under the same URL needs O(force) or, better,
    a new O(filename) (the image's date or checksum in the name).
seealso:
  - module: iac.proxmox.pve_vm
  - name: Storage content in the PVE administration guide
    description: Content types and their directories.
    link: https://pve.proxmox.com/pve-docs/pve-admin-guide.html#chapter_storage
'''

EXAMPLES = r'''
- name: Have PVE download the Debian 12 cloud image for importing VM disks from it
  iac.proxmox.pve_storage_content:
    api_host: pve1.example.com
    api_user: automation@pve
    api_token_id: ansible
    api_token_secret: "{{ vault_pve_token_secret }}"
    node: pve1
    storage: local
    content: import
    filename: debian-12-genericcloud-amd64-20250814.qcow2
    url: https://cloud.debian.org/images/cloud/bookworm/20250814-2204/debian-12-genericcloud-amd64-20250814-2204.qcow2
    checksum: "{{ debian_image_sha512 }}"
    checksum_algorithm: sha512

- name: Upload an ISO from the controller
  iac.proxmox.pve_storage_content:
    node: pve1
    storage: local
    content: iso
    filename: virtio-win.iso
    src: files/virtio-win.iso

- name: Download it again, even though it is there
  iac.proxmox.pve_storage_content:
    node: pve1
    storage: local
    content: vztmpl
    filename: debian-12-standard_12.7-1_amd64.tar.zst
    url: http://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst
    force: true

- name: Delete an ISO (fails, naming the VMs, while a VM has it in a CD drive)
  iac.proxmox.pve_storage_content:
    node: pve1
    storage: local
    content: iso
    filename: virtio-win.iso
    state: absent
'''

RETURN = r'''
volid:
  description: The file's volume ID.
  returned: always
  type: str
  sample: local:import/debian-12-genericcloud-amd64.qcow2
node:
  description: The node.
  returned: always
  type: str
  sample: pve1
storage:
  description: The storage.
  returned: always
  type: str
  sample: local
file:
  description:
    - The file as the storage lists it after the run (empty when absent). In check mode, what it would be (no
      size for a download).
  returned: always
  type: dict
  contains:
    volid:
      description: The volume ID.
      type: str
    content:
      description: The content type.
      type: str
    size:
      description: Size in bytes, as PVE lists it.
      type: int
    format:
      description: The format PVE lists (iso, raw, qcow2, tzst, ...).
      type: str
  sample:
    volid: local:iso/virtio-win.iso
    content: iso
    size: 612386816
    format: iso
waited_for:
  description: The UPID of a download of the same file that was already running, which the module waited for.
  returned: when it waited for one
  type: str
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["download https://example.com/debian.qcow2 to local:import/debian.qcow2"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._content import CONTENTS, converge
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(
        argument_spec=dict(
            node=dict(type='str', required=True),
            storage=dict(type='str', required=True),
            content=dict(type='str', required=True, choices=list(CONTENTS)),
            filename=dict(type='str', required=True),
            url=dict(type='str'),
            src=dict(type='path'),
            checksum=dict(type='str'),
            checksum_algorithm=dict(type='str', choices=['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']),
            verify_certificates=dict(type='bool', default=True),
            force=dict(type='bool', default=False),
            state=PRESENT_ABSENT,
            timeout=dict(type='int', default=3600),
        ),
        mutually_exclusive=[('url', 'src')],
        required_together=[('checksum', 'checksum_algorithm')],
    )
    module.call_or_fail(converge)


if __name__ == '__main__':
    main()
