# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on a storage (ISO images, container templates, disk images to import): check, read, converge.
Private to the collection.

PVE puts such a file on a file-based storage in two ways (pve-storage src/PVE/API2/Storage/Status.pm):
`download-url`, where the node fetches a URL itself (and verifies a checksum), and `upload`, where the
client sends the bytes as multipart/form-data. Both check the storage and the file name before they start
a task; PVE normalizes the name and refuses a wrong extension. The checks here are the same ones, made
before any request is sent, so a bad value fails with a clear message and nothing written.

A file is identified by its volume ID `<storage>:<content>/<filename>`; it is "there" when the storage's
content listing has it (with its size, which an upload compares against the local file).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from ._checks import check_node_name, check_storage
from ._errors import PveApiError, ValidationError
from ._guest import list_guests
from ._mapping import cluster_nodes
from ._regex import regex

CONTENTS = ('iso', 'vztmpl', 'import')
ALGORITHMS = {'md5': 32, 'sha1': 40, 'sha224': 56, 'sha256': 64, 'sha384': 96, 'sha512': 128}
# pve-storage src/PVE/Storage.pm: ISO_EXT_RE_0, VZTMPL_EXT_RE_1, SAFE_CHAR_CLASS_RE + UPLOAD_IMPORT_EXT_RE_1, as
# Status.pm download_url and upload apply them to the normalized file name (with PVE's message for each).
EXTENSIONS = {
    'iso': (regex(r'[^/]+\.(?:iso|img)$', re.I), 'wrong file extension', '.iso or .img'),
    'vztmpl': (regex(r'[^/]+\.(?:tar(?!\.)|tar\.(?:gz|xz|zst|bz2))$', re.I), 'wrong file extension',
               '.tar, .tar.gz, .tar.xz, .tar.zst or .tar.bz2'),
    'import': (regex(r'[a-zA-Z0-9\-.+=_]+\.(?:ova|qcow2|raw|vmdk)$'), 'invalid filename or wrong extension',
               '.ova, .qcow2, .raw or .vmdk'),
}
URL = regex(r'^https?://.*$')  # the `url` pattern of download_url (JSONSchema patterns are anchored)
HEX = regex(r'^[0-9A-Fa-f]+$')
# Guest configs are read this many at a time when a file is to be deleted (one connection each).
CONFIG_READS_AT_ONCE = 8
# Config keys whose text is free-form: a volume ID in them is no reference.
FREE_TEXT_KEYS = ('description', 'digest', 'name', 'hostname', 'tags', 'meta')


def normalize_content_filename(filename):
    """PVE::Storage::normalize_content_filename: the last path part, every character but letters, digits, '_',
    '.' and '-' replaced with '_'."""
    name = re.sub(r'^.*[/\\]', '', filename.rstrip('\n'))
    return re.sub(r'[^a-zA-Z0-9_.-]', '_', name)


def check_filename(content, filename):
    """The file name as PVE will store it, or ValidationError: PVE would rename it, or refuse its extension."""
    if not isinstance(filename, str) or not filename:
        raise ValidationError('filename', filename, 'give the name of the file on the storage')
    if len(filename) > 255:
        raise ValidationError('filename', filename, 'may be at most 255 characters (PVE)')
    normalized = normalize_content_filename(filename)
    if normalized != filename:
        raise ValidationError('filename', filename, 'PVE would store it as {0!r} (it keeps only the last path part '
                                                    'and replaces characters other than letters, digits, "_", "." '
                                                    'and "-"); give that name'.format(normalized))
    pattern, message, allowed = EXTENSIONS[content]
    if not pattern.search(filename):
        raise ValidationError('filename', filename, '{0} (PVE: a file of content {1} ends in {2})'.format(
            message, content, allowed))
    return filename


def check_url(url):
    if not URL.match(url):
        raise ValidationError('url', url, "must be an http:// or https:// URL (PVE's download-url fetches only "
                                          'those)')
    return url


def check_checksum(checksum, algorithm):
    if checksum is None:
        return None
    text = checksum.strip()
    if not HEX.match(text) or len(text) != ALGORITHMS[algorithm]:
        raise ValidationError('checksum', checksum, 'is not a {0} checksum ({1} hexadecimal digits)'.format(
            algorithm, ALGORITHMS[algorithm]))
    return text.lower()


def check_src(src):
    if not os.path.isfile(src):
        raise ValidationError('src', src, 'no such file on the host the module runs on')
    if not os.access(src, os.R_OK):
        raise ValidationError('src', src, 'the file cannot be read')
    return src


def desired_from(params):
    """The checked options: (node, storage, content, filename, volid)."""
    node = check_node_name('node', params['node'])
    storage = check_storage('storage', params['storage'])
    content = params['content']
    filename = check_filename(content, params['filename'])
    if params.get('url') is not None:
        check_url(params['url'])
    if params.get('src') is not None:
        check_src(params['src'])
    return node, storage, content, filename, '{0}:{1}/{2}'.format(storage, content, filename)


# ------------------------------------------------------------------ reading


def read_storage(client, node, storage):
    """The storage's entry on the node (GET /nodes/{node}/storage: type, content, shared, enabled, active), or
    ValidationError naming the node or the storage when either does not exist."""
    try:
        items = client.get('/nodes/{0}/storage'.format(node)) or []
    except PveApiError as exc:
        if exc.status in (400, 401, 403):
            raise
        nodes = cluster_nodes(client)
        if node not in nodes:
            raise ValidationError('node', node, 'no such node in the cluster (nodes: {0})'.format(
                ', '.join(nodes) or 'none'))
        raise
    for item in items:
        if item.get('storage') == storage:
            return item
    raise ValidationError('storage', storage, 'no such storage on node {0} (storages there: {1})'.format(
        node, ', '.join(sorted(i['storage'] for i in items if i.get('storage'))) or 'none'))


def check_content_type(entry, storage, content):
    """PVE's own refusal, before the request: the storage must be configured for the content type."""
    enabled = [c for c in str(entry.get('content') or '').split(',') if c]
    if content not in enabled:
        raise ValidationError('storage', storage, "storage '{0}' is not configured for content-type '{1}' (its "
                                                  'content types: {2})'.format(storage, content,
                                                                               ', '.join(enabled) or 'none'))


def read_file(client, node, storage, content, volid):
    """The file's entry in the storage's content listing (volid, size, format, ctime), or None."""
    for item in client.get('/nodes/{0}/storage/{1}/content'.format(node, storage), content=content) or []:
        if item.get('volid') == volid:
            return item
    return None


def shown_url(url):
    """The URL for plans and messages, a password in it masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = '{0}:********@{1}'.format(parts.username or '', parts.netloc.rsplit('@', 1)[1])
    return urlunsplit(parts._replace(netloc=netloc))


def hide_url_password(module, url):
    """A password in the URL is a secret: PVE's download task logs the URL as given ("downloading <url> to ..."),
    and the module shows that log and its own arguments when it fails, so Ansible masks it everywhere."""
    password = urlsplit(url).password
    if password:
        module.ansible.no_log_values.update(set([password, unquote(password)]))


def view(item, content):
    if not item:
        return {}
    out = {'volid': item['volid'], 'content': item.get('content', content)}
    for key in ('size', 'format'):
        if item.get(key) is not None:
            out[key] = item[key]
    return out


def references(config, volid):
    """The config keys whose value references `volid` (as the volume itself or as a `key=<volid>` option)."""
    keys = []
    for key, value in (config or {}).items():
        if key in FREE_TEXT_KEYS or not isinstance(value, str):
            continue
        for part in value.split(','):
            if part == volid or part.split('=', 1)[-1] == volid:
                keys.append(key)
                break
    return sorted(keys)


def guests_using(client, volid, node, shared):
    """The guests whose config references `volid`: [(vmid, name, node, keys)].

    Costs 1 + N requests: the cluster's guest list (/cluster/resources?type=vm), then the config of each
    guest that can reference the file, read CONFIG_READS_AT_ONCE at a time: on a shared storage every guest
    of the cluster, else only the guests on `node` (a volume ID of a local storage means that node's copy)."""
    guests = [g for g in list_guests(client) if shared or g.get('node') == node]
    paths = ['/nodes/{0}/{1}/{2}/config'.format(g['node'], g['type'], g['vmid']) for g in guests]
    found = []
    for start in range(0, len(paths), CONFIG_READS_AT_ONCE):
        batch = paths[start:start + CONFIG_READS_AT_ONCE]
        for guest, config in zip(guests[start:start + CONFIG_READS_AT_ONCE], client.get_all(batch)):
            if isinstance(config, Exception):
                raise ValidationError('state', 'absent', 'cannot tell whether guest {0} ({1}) uses {2}: reading '
                                                         'its config failed: {3}'.format(guest['vmid'],
                                                                                         guest.get('name', ''),
                                                                                         volid, config))
            keys = references(config, volid)
            if keys:
                found.append((guest['vmid'], guest.get('name') or '', guest['node'], keys))
    return sorted(found)


def running_download(client, node, filename):
    """The UPID of a download task of `filename` still running on the node, or None (one request)."""
    for task in client.get('/nodes/{0}/tasks'.format(node), typefilter='download', source='active') or []:
        if task.get('type') == 'download' and task.get('id') == filename and 'status' not in task \
                and not task.get('endtime'):
            return task.get('upid')
    return None


# ------------------------------------------------------------------ converging


def upload(module, path, fields, filename, src, action, timeout):
    """POST the file as PVE's upload API takes it (check mode: only plan it), then wait for its task."""
    step = {'method': 'POST', 'path': path, 'action': action}
    module.plan.append(step)
    if module.check_mode:
        return
    with open(src, 'rb') as handle:
        answer = module.client.upload(path, fields, 'filename', filename, handle)
    if isinstance(answer, str) and answer.startswith('UPID:'):
        module.client.wait_task(answer, timeout=timeout)
    module.done.append(step)


def converge(module):
    params = module.params
    if params.get('url'):
        hide_url_password(module, params['url'])
    node, storage, content, filename, volid = desired_from(params)
    state = params['state']
    url, src = params.get('url'), params.get('src')
    algorithm = params.get('checksum_algorithm')
    checksum = check_checksum(params.get('checksum'), algorithm) if params.get('checksum') else None
    timeout = params.get('timeout')
    client = module.client
    base = '/nodes/{0}/storage/{1}'.format(node, storage)
    entry = read_storage(client, node, storage)
    if state == 'present':
        check_content_type(entry, storage, content)
    current = read_file(client, node, storage, content, volid)
    before = view(current, content)
    result = dict(volid=volid, node=node, storage=storage)

    if state == 'absent':
        if current is not None:
            _delete(module, node, base, volid, bool(entry.get('shared')), timeout)
        module.exit(changed=current is not None, file={}, diff={'before': before, 'after': {}}, **result)
        return

    local_size = os.path.getsize(src) if src else None
    if current is not None and not params['force']:
        if src is None or current.get('size') == local_size:
            module.exit(changed=False, file=before, diff={'before': before, 'after': before}, **result)
            return
    if current is None and url is None and src is None:
        raise ValidationError('url', None, '{0} does not exist; give url (PVE downloads it) or src (the module '
                                           'uploads it) to create it'.format(volid))
    waited = None
    if current is None and url is not None and not module.check_mode:
        waited = running_download(client, node, filename)
        if waited:
            client.wait_task(waited, timeout=timeout)
            current = read_file(client, node, storage, content, volid)
            if current is not None:
                after = view(current, content)
                module.exit(changed=False, file=after, waited_for=waited,
                            diff={'before': before, 'after': after}, **result)
                return
    fields = {'content': content, 'filename': filename}
    if checksum:
        fields.update({'checksum': checksum, 'checksum-algorithm': algorithm})
    _transfer(module, base, volid, current is not None, fields, timeout)
    if module.check_mode:
        after = {'volid': volid, 'content': content}
        if local_size is not None:
            after['size'] = local_size
    else:
        after = view(read_file(client, node, storage, content, volid), content)
    module.exit(changed=True, file=after, diff={'before': before, 'after': after}, **result)


def _delete(module, node, base, volid, shared, timeout):
    """state=absent on an existing file: refused while a guest's config uses it."""
    users = guests_using(module.client, volid, node, shared)
    if users:
        raise ValidationError('state', 'absent', '{0} is in use by {1}; remove it from their config first '
                                                 '(nothing was deleted)'.format(volid, ', '.join(
                                                     'guest {0} ({1}) on {2}: {3}'.format(
                                                         vmid, name or 'no name', where, ', '.join(keys))
                                                     for vmid, name, where, keys in users)))
    module.write('DELETE', '{0}/content/{1}'.format(base, volid), action='delete {0}'.format(volid),
                 timeout=timeout)


def _transfer(module, base, volid, exists, fields, timeout):
    """Put the file on the storage: PVE downloads it from url, or the module uploads src."""
    params = module.params
    url, src = params.get('url'), params.get('src')
    if url is not None:
        if exists:
            # PVE's download never overwrites a file (pve-common Tools.pm download_file_from_url): delete it first.
            module.write('DELETE', '{0}/content/{1}'.format(base, volid), timeout=timeout,
                         action='delete {0} to download it again'.format(volid))
        fields.update({'url': url, 'verify-certificates': bool(params['verify_certificates'])})
        module.write('POST', base + '/download-url', fields, timeout=timeout,
                     action='download {0} to {1}'.format(shown_url(url), volid))
    else:
        upload(module, base + '/upload', fields, fields['filename'], src, 'upload {0} to {1}'.format(src, volid),
               timeout)
