"""Storage content that PVE fetches or receives: download-url really downloads, upload stores the bytes.

fakepve's download-url pretends (a `size` parameter says how large the file is) and its upload takes ISO
and container templates only. PVE does more, and the collection relies on it:

* pve-storage src/PVE/API2/Storage/Status.pm download_url: checks the storage (enabled on the node, file
  based, configured for the content type), normalizes the file name (PVE::Storage normalize_content_filename)
  and checks its extension per content type (ISO_EXT_RE_0, VZTMPL_EXT_RE_1, SAFE_CHAR_CLASS_RE +
  UPLOAD_IMPORT_EXT_RE_1) before the task starts; the `download` task then runs
  pve-common src/PVE/Tools.pm download_file_from_url: an existing file is kept when its checksum matches,
  refused otherwise; wget fetches the URL (without --no-check-certificate unless verify-certificates is 0);
  the checksum is compared ("checksum mismatch: got '...' != expect '...'") and a failed download leaves no
  file.
* Status.pm upload: the same name checks, content types iso, vztmpl and import, the checksum compared on
  the uploaded bytes in the `imgcopy` task.

The lab fetches over loopback only: anything else fails as a download that cannot connect. Which CAs the
nodes trust is `node_cas` (PEM files): a node's system store holds no lab CA unless a test adds it.
"""

import asyncio
import hashlib
import ipaddress
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request

from fakepve.model import PveError, TaskError
from fakepve.routing import die, param_error, split_list
from fakepve.storage import _is_file

ALGORITHMS = ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512')
# pve-storage src/PVE/Storage.pm
ISO_EXT = re.compile(r'[^/]+\.(?:iso|img)$', re.I)                              # ISO_EXT_RE_0
VZTMPL_EXT = re.compile(r'[^/]+\.(?:(tar)(?!\.)|tar\.(gz|xz|zst|bz2))$', re.I)  # VZTMPL_EXT_RE_1
IMPORT_EXT = re.compile(r'[a-zA-Z0-9\-.+=_]+\.(ova|qcow2|raw|vmdk)$')           # SAFE_CHAR_CLASS_RE, UPLOAD_IMPORT_EXT_RE_1
SUBDIR = {'iso': 'template/iso', 'vztmpl': 'template/cache', 'import': 'import'}
DOWNLOAD_TIMEOUT = 30


def normalize_content_filename(filename):
    """PVE::Storage::normalize_content_filename: the last path part, unsafe characters as '_'."""
    name = filename.rstrip('\n')
    name = re.sub(r'^.*[/\\]', '', name)
    return re.sub(r'[^a-zA-Z0-9_.-]', '_', name)


def check_filename(content, filename, upload=False):
    """The extension check of download_url and upload (raise_param_exc on `filename`)."""
    if content == 'iso':
        if not ISO_EXT.search(filename):
            raise param_error(filename='wrong file extension')
    elif content == 'vztmpl':
        if not VZTMPL_EXT.search(filename):
            raise param_error(filename='wrong file extension')
    elif content == 'import':
        if not IMPORT_EXT.search(filename):
            raise param_error(filename='invalid filename or wrong extension')
    elif upload:
        raise param_error(content="upload content type '{0}' not allowed".format(content))
    else:
        raise param_error(content="upload content-type '{0}' is not allowed".format(content))


def hashes(data):
    return dict((name, hashlib.new(name, data).hexdigest()) for name in ALGORITHMS)


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


class LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects as wget does, but only to loopback: the lab never leaves the machine."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        host = urllib.parse.urlsplit(newurl).hostname or ''
        if not is_loopback(host):
            raise TaskError('download failed: unable to resolve host address \u2018{0}\u2019 (the lab reaches '
                            'loopback only)'.format(host))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class StorageContent(object):
    """Mixin of LabPve: download-url and upload as PVE runs them (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # CA files (PEM) the nodes' system trust store holds: what wget verifies a download against.
        self.node_cas = []
        # Every URL the lab fetched, in order (tests prove what PVE, not the controller, downloaded).
        self.fetched = []

    def _dest(self, name, content, filename):
        return '{0}/{1}/{2}'.format(self._base_path(name), SUBDIR[content], filename)

    def _file_target(self, request, content, raw_filename, upload):
        """The checks download_url and upload make before their task: (name, store, filename)."""
        name, node = request.match_info['storage'], request.match_info['node']
        store = self._check_enabled(name, node)          # storage_check_enabled
        if not _is_file(store):
            if upload:
                raise die("can't upload to storage type '{0}'".format(store.get('type')))
            raise die("can't upload to storage type '{0}', not a file based storage!".format(store.get('type')))
        if not upload and content not in split_list(store.get('content')):
            raise die("storage '{0}' is not configured for content-type '{1}'".format(name, content))
        filename = normalize_content_filename(raw_filename)
        check_filename(content, filename, upload=upload)
        if upload and content not in split_list(store.get('content')):
            raise die("storage '{0}' does not support '{1}' content".format(name, content))
        return name, store, filename

    def _put_file(self, name, content, filename, data):
        self.store_file(name, filename, len(data), content)
        self.storages[name]['volumes']['{0}/{1}'.format(content, filename)]['hashes'] = hashes(data)

    def _fetch(self, url, verify):
        """wget: the body of `url`, or TaskError with wget's last line as run_command reports it."""
        parts = urllib.parse.urlsplit(url)
        if not is_loopback(parts.hostname or ''):
            raise TaskError('download failed: unable to resolve host address \u2018{0}\u2019 (the lab reaches '
                            'loopback only)'.format(parts.hostname))
        context = None
        if parts.scheme == 'https':
            if verify:
                context = ssl.create_default_context()
                for cafile in self.node_cas:
                    context.load_verify_locations(cafile)
            else:
                context = ssl.create_default_context()  # wget --no-check-certificate
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), LoopbackRedirects(),
                                             urllib.request.HTTPSHandler(context=context))
        self.fetched.append(url)
        try:
            with opener.open(url, timeout=DOWNLOAD_TIMEOUT) as answer:
                return answer.read()
        except urllib.error.HTTPError as exc:
            raise TaskError('download failed: ERROR {0}: {1}.'.format(exc.code, exc.reason))
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                raise TaskError("download failed: To connect to {0} insecurely, use `--no-check-certificate'."
                                .format(parts.hostname))
            raise TaskError('download failed: failed: {0}.'.format(getattr(exc.reason, 'strerror', None) or
                                                                   exc.reason))

    async def _download_url(self, request):
        from fakepve.server import USER, ok, params
        node = request.match_info['node']
        name = request.match_info['storage']
        user = request[USER]
        self.require(user, '/storage/' + name, 'Datastore.AllocateTemplate')
        if not ((self.allowed(user, '/', 'Sys.Audit') and self.allowed(user, '/', 'Sys.Modify')) or
                self.allowed(user, '/nodes/' + node, 'Sys.AccessNetwork')):
            raise PveError(403, 'Permission check failed (/nodes/{0}, Sys.AccessNetwork)'.format(node))
        p = self._verify(request, await params(request))
        content, url = p['content'], p['url']
        name, store, filename = self._file_target(request, content, p['filename'], upload=False)
        algorithm, expected = p.get('checksum-algorithm'), p.get('checksum')
        verify = p.get('verify-certificates', True) not in (0, False, '0')
        volname = '{0}/{1}'.format(content, filename)
        dest = self._dest(name, content, filename)

        async def body():
            existing = self.storages[name].get('volumes', {}).get(volname)
            if existing is not None:
                if not algorithm:
                    raise TaskError("refusing to override existing file '{0}'".format(dest))
                got = (existing.get('hashes') or {}).get(algorithm, '')
                if got.lower() == expected.lower():
                    return 'OK, got correct file already, no need to download'
                raise TaskError("checksum mismatch: got '{0}' != expect '{1}', aborting".format(got, expected))
            data = await asyncio.get_running_loop().run_in_executor(None, self._fetch, url, verify)
            if algorithm:
                got = hashlib.new(algorithm, data).hexdigest()
                if got.lower() != expected.lower():
                    raise TaskError("checksum mismatch: got '{0}' != expect '{1}'".format(got, expected))
            self._put_file(name, content, filename, data)
            return "download of '{0}' to '{1}' finished".format(url, dest)
        return ok(await self.task(node, 'download', filename, user, body,
                                  log=['downloading {0} to {1}'.format(url, dest)]))

    async def _upload(self, request):
        from fakepve.server import USER, ok
        name = request.match_info['storage']
        user = request[USER]
        self.require(user, '/storage/' + name, 'Datastore.AllocateTemplate')
        fields = self._multipart(request, await request.read())
        content = fields.get('content')
        if content not in ('iso', 'vztmpl', 'import'):
            raise PveError(400, 'Parameter verification failed.', {'content': 'value not allowed'})
        algorithm, expected = fields.get('checksum-algorithm'), fields.get('checksum')
        if bool(algorithm) != bool(expected):
            missing = 'checksum' if algorithm else 'checksum-algorithm'
            raise PveError(400, 'Parameter verification failed.',
                           {missing: "parameter is missing and it is required by '{0}'".format(
                               'checksum-algorithm' if algorithm else 'checksum')})
        if algorithm and algorithm not in ALGORITHMS:
            raise PveError(400, 'Parameter verification failed.', {'checksum-algorithm': 'value not allowed'})
        if 'filename' not in fields:
            raise PveError(400, 'Parameter verification failed.', {'filename': 'property is missing and it is '
                                                                               'not optional'})
        name, store, filename = self._file_target(request, content, fields['filename'], upload=True)
        data = fields.get('data', b'')
        self.uploaded = fields

        async def body():
            if algorithm:
                got = hashlib.new(algorithm, data).hexdigest()
                if got.lower() != expected.lower():
                    raise TaskError("checksum mismatch: got '{0}' != expect '{1}'".format(got, expected))
            # "we simply overwrite the destination file if it already exists"
            old = self.storages[name].get('volumes', {}).pop('{0}/{1}'.format(content, filename), None)
            if old is not None and 'avail' in self.storages[name]:
                self.storages[name]['avail'] += int(old.get('size') or 0)
            self._put_file(name, content, filename, data)
            return 'finished file import successfully'
        return ok(await self.task(request.match_info['node'], 'imgcopy', '', user, body,
                                  log=['starting file import from: /var/tmp/pveupload-lab']))

    @staticmethod
    def _multipart(request, body):
        """The fields of a multipart/form-data body; the file part's name is `filename`, its bytes `data`."""
        try:
            boundary = request.content_type == 'multipart/form-data' and \
                request.headers['Content-Type'].split('boundary=', 1)[1].strip('"')
            if not boundary:
                raise ValueError('not multipart')
            fields = {}
            for part in body.split(b'--' + boundary.encode())[1:-1]:
                head, _sep, data = part[2:-2].partition(b'\r\n\r\n')
                disposition = head.decode().split('\r\n')[0]
                field = disposition.split('name="', 1)[1].split('"', 1)[0]
                if 'filename="' in disposition:
                    fields['filename'] = disposition.split('filename="', 1)[1].split('"', 1)[0]
                    fields['data'] = data
                else:
                    fields[field] = data.decode()
        except (IndexError, ValueError):  # UnicodeDecodeError is one
            raise PveError(400, 'bad upload request') from None
        return fields
