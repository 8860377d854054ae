"""What PVE's readers return for values it stores in its own way, where fakepve echoes what was written:

* `description` of VMs and containers is kept in the config file as `#` comment lines, each line written with
  PVE::Tools::encode_text (pve-common src/PVE/ParseUtils.pm: control and non-ASCII bytes, `%` and `:` escaped)
  and read back with decode_text. Lines are cut with Perl's split(/\\n/) (trailing empty lines vanish); a
  false value ('' or '0') writes no line at all, so the key is gone.
  - VMs: qemu-server src/PVE/QemuServer.pm parse_vm_config joins the lines with "\\n" and strips trailing white
    space (finish_description); write_vm_config writes lines only `if ($descr)`.
  - Containers: pve-container src/PVE/LXC/Config.pm parse_pct_config keeps every line's "\\n" (the text ends
    with a newline) and sets the key only if the text is non-empty; write_pct_config writes
    `$conf->{description} || ''`.
* `tags` are stored as PVE::GuestHelpers::get_unique_tags (pve-guest-common) returns them, on create and update
  of VMs (qemu-server src/PVE/API2/Qemu.pm create_vm, update_vm_api) and containers (pve-container
  src/PVE/LXC/Config.pm update_pct_config): split_list, lower-cased unless the datacenter's
  `tag-style` has `case-sensitive=1`, sorted unless it has `ordering=config`, duplicates dropped (compared
  case-insensitively unless case-sensitive), joined with ';'.
* `GET/PUT /cluster/options` keep datacenter.cfg; `tag-style` reads back as an object (pve-cluster
  src/PVE/DataCenterConfig.pm parse_datacenter_config parses it; pve-manager PVE/API2/Cluster.pm get_options
  returns it even without Sys.Audit, with `allowed-tags`).
* the agent's `freeze-fs` option exists from qemu-server 9.1.6 on (src/PVE/QemuServer/Agent.pm, with
  `freeze-fs-on-backup` kept as an alias); PVE 8 and early 9.x know only `freeze-fs-on-backup` and refuse the
  new key (pve-common JSONSchema.pm parse_property_string: "invalid key in comma-separated list property").
  The lab's PVE version (`/version`) decides: from 9.2 on (pve-manager 9.2.0 requires qemu-server >= 9.1.11).
* config values come back typed: qemu-server src/PVE/QemuServer.pm check_type (pve-container LXC/Config.pm
  check_type alike), run by the config parser, turns booleans into 1/0 and integers into numbers, so the JSON
  carries `"cores": 3`, not `"3"`, whatever the request sent (strings, property strings and numbers stay text).
* `cipassword` is masked in `GET .../pending` (`**********`, and `********** ` for a pending value) and in
  `GET .../cloudinit` (qemu-server src/PVE/API2/Qemu.pm vm_pending, cloudinit_pending).
"""

import json
import re
import urllib.parse

from aiohttp import web
from fakepve import schema as pve_schema
from fakepve.routing import param_error, split_list

MASKED_PASSWORD = '**********'
MASKED_PENDING_PASSWORD = '********** '
# encode_text's safe characters: \x20-\x24, \x26-\x39, \x3b-\x7e (everything but control, hi-bit, '%' and ':').
SAFE = ''.join(chr(c) for c in list(range(0x20, 0x25)) + list(range(0x26, 0x3a)) + list(range(0x3b, 0x7f)))


def encode_text(text):
    """PVE::Tools::encode_text: UTF-8, then URI-escape every byte outside SAFE."""
    return urllib.parse.quote(text.encode('utf-8'), safe=SAFE)


def decode_text(data):
    """PVE::Tools::decode_text: URI-unescape, then decode UTF-8."""
    return urllib.parse.unquote(data, encoding='utf-8')


def perl_split_lines(text):
    """Perl's split(/\\n/, $text): trailing empty fields are dropped."""
    lines = text.split('\n')
    while lines and lines[-1] == '':
        lines.pop()
    return lines


def comment_lines(value):
    """The `#` lines a description is written as (empty for a false value)."""
    text = str(value)
    if text in ('', '0'):
        return []
    return ['#' + encode_text(line) for line in perl_split_lines(text)]


def vm_description(value):
    """The description a VM's config reads back after `value` was written, or None (no key)."""
    lines = comment_lines(value)
    if not lines:
        return None
    return re.sub(r'\s+$', '', ''.join(decode_text(line[1:]) + '\n' for line in lines))


def ct_description(value):
    """The description a container's config reads back after `value` was written, or None (no key)."""
    text = ''.join(decode_text(line[1:]) + '\n' for line in comment_lines(value))
    return text or None


FREEZE_FS_SINCE = (9, 2)


def knows_freeze_fs(version):
    return tuple(int(n) for n in re.findall(r'\d+', str(version))[:2]) >= FREEZE_FS_SINCE


def parse_tag_style(text):
    """The `tag-style` property string as parse_property_string gives it (booleans as 1/0)."""
    out = {}
    for part in str(text or '').split(','):
        if not part:
            continue
        key, value = part.partition('=')[::2]
        if key == 'case-sensitive':
            value = 1 if value.lower() in ('1', 'on', 'yes', 'true') else 0
        out[key] = value
    return out


def get_unique_tags(tags, style):
    """PVE::GuestHelpers::get_unique_tags with the datacenter's tag-style."""
    items = split_list(tags) if not isinstance(tags, list) else list(tags)
    case_sensitive = bool(int(style.get('case-sensitive') or 0))
    if style.get('ordering') != 'config':
        items = sorted(items, key=(lambda t: t) if case_sensitive else (lambda t: t.lower()))
    seen, out = set(), []
    for tag in items:
        if not case_sensitive:
            tag = tag.lower()
        if tag not in seen:
            seen.add(tag)
            out.append(tag)
    return ';'.join(out)


def _config_types(kind):
    path = '/nodes/{node}/%s/{vmid}/config' % kind
    props = pve_schema.load().paths[path]['PUT']['parameters']['properties']
    return dict((k, v.get('type')) for k, v in props.items() if v.get('type') in ('boolean', 'integer'))


TYPES = {}


def check_type(kind, key, value):
    """check_type: a boolean as 1/0, an integer as a number; anything else as it is."""
    if kind not in TYPES:
        TYPES[kind] = _config_types(kind)
    kind_type = TYPES[kind].get(key)
    text = str(value)
    if kind_type == 'boolean':
        if text == '1' or text.lower() in ('on', 'yes', 'true'):
            return 1
        if text == '0' or text.lower() in ('off', 'no', 'false'):
            return 0
    if kind_type == 'integer' and re.match(r'^\d+$', text):
        return int(text)
    return value


def _typed(data, kind):
    for key in list(data):
        if key != 'digest':
            data[key] = check_type(kind, key, data[key])
    return data


def _read_back(data, reader):
    if 'description' in data:
        text = reader(data['description'])
        if text is None:
            del data['description']
        else:
            data['description'] = text
    return data


def _pending_items(items, reader, mask=False, kind='qemu'):
    out = []
    for item in items:
        item = dict(item)
        for field in ('value', 'pending'):
            if field in item and item.get('key') != 'digest':
                item[field] = check_type(kind, item.get('key'), item[field])
        if item.get('key') == 'description':
            for field in ('value', 'pending'):
                if field in item:
                    text = reader(item[field])
                    if text is None:
                        del item[field]
                    else:
                        item[field] = text
            if len(item) == 1:
                continue
        if mask and item.get('key') == 'cipassword':
            if 'value' in item:
                item['value'] = MASKED_PASSWORD
            if 'pending' in item:
                item['pending'] = MASKED_PENDING_PASSWORD
        out.append(item)
    return out


class ReadBack(object):
    """Mixin for the lab's FakePve: config and pending reads return what PVE's config parser returns."""

    async def _config_get(self, request):
        response = await super()._config_get(request)
        body = json.loads(response.text)
        if isinstance(body.get('data'), dict):
            _typed(_read_back(body['data'], vm_description), 'qemu')
        return web.json_response(body)

    async def _pending(self, request):
        response = await super()._pending(request)
        body = json.loads(response.text)
        if isinstance(body.get('data'), list):
            body['data'] = _pending_items(body['data'], vm_description, mask=True)
        return web.json_response(body)

    async def _qm_cloudinit_pending(self, values, user):
        items = await super()._qm_cloudinit_pending(values, user)
        for item in items:
            if item.get('key') == 'cipassword':
                for field in ('value', 'pending'):
                    if field in item:
                        item[field] = MASKED_PASSWORD
        return items

    async def _lxc_config_get(self, user, v):
        return _typed(_read_back(await super()._lxc_config_get(user, v), ct_description), 'lxc')

    async def _lxc_pending(self, user, v):
        return _pending_items(await super()._lxc_pending(user, v), ct_description, kind='lxc')

    # ------------------------------------------------------------ datacenter.cfg and tags

    def check_permissions(self, user, perms, values, declared=None):
        """pve-access-control src/PVE/RPCEnvironment.pm check_api2_permissions: `user => 'all'` admits every
        authenticated user before any `check` is evaluated (GET /cluster/options is the one method with both)."""
        if user is not None and perms and perms.get('user') == 'all':
            return
        return super().check_permissions(user, perms, values, declared)

    @property
    def datacenter(self):
        """datacenter.cfg as parse_datacenter_config returns it (tag-style parsed)."""
        return self.__dict__.setdefault('_datacenter_cfg', {'keyboard': 'en-us'})

    def _routes_datacenter(self):
        return [('GET', '/cluster/options', self._dc_options_get), ('PUT', '/cluster/options', self._dc_options_put)]

    async def _dc_options_get(self, values, user):
        if self.allowed(user, '/', 'Sys.Audit'):
            data = json.loads(json.dumps(self.datacenter))
        else:
            data = dict((k, v) for k, v in self.datacenter.items() if k in ('console', 'tag-style'))
        tags = set()
        for guest in list(self.vms) + list(self.cts):
            tags.update(split_list(guest.config.get('tags')))
        data['allowed-tags'] = sorted(tags)
        return data

    async def _dc_options_put(self, values, user):
        for key in split_list(values.get('delete')):
            self.datacenter.pop(key, None)
        for key, value in values.items():
            if key in ('delete', 'digest'):
                continue
            self.datacenter[key] = parse_tag_style(value) if key == 'tag-style' else value
        return None

    def tag_style(self):
        return self.datacenter.get('tag-style') or {}

    def _fix_tags(self, guest, raw):
        """Store `raw` (the tags the request sent) as get_unique_tags does, wherever the handler put them."""
        if guest is None or raw is None:
            return
        value = get_unique_tags(raw, self.tag_style())
        for where in (guest.config, guest.pending):
            if where.get('tags') is not None:
                where['tags'] = value

    def _check_agent_keys(self, params):
        value = params.get('agent')
        if value is None or knows_freeze_fs(self.version):
            return
        for part in str(value).split(','):
            key = part.partition('=')[0] if '=' in part else None
            if key in ('freeze-fs', 'guest-fsfreeze'):
                raise param_error(agent='invalid format - invalid key in comma-separated list property: {0}\n'
                                  .format(key))

    async def _apply_config(self, vm, user, p):
        self._check_agent_keys(p)
        await super()._apply_config(vm, user, p)
        if 'tags' in p:
            self._fix_tags(vm, p['tags'])

    async def _lxc_config_put(self, user, v):
        result = await super()._lxc_config_put(user, v)
        if 'tags' in v:
            self._fix_tags(self.ct(int(v['vmid'])), v['tags'])
        return result

    async def _qm_create(self, v, user):
        self._check_agent_keys(v)
        if v.get('tags') is not None:
            self.__dict__.setdefault('_create_tags', {})[('qmcreate', str(v['vmid']))] = v['tags']
        return await super()._qm_create(v, user)

    async def _lxc_create(self, user, v):
        if v.get('tags') is not None:
            self.__dict__.setdefault('_create_tags', {})[('vzcreate', str(v['vmid']))] = v['tags']
        return await super()._lxc_create(user, v)

    async def task(self, node, ttype, tid, user, body, *args, **kwargs):
        raw = self.__dict__.get('_create_tags', {}).pop((ttype, str(tid)), None)
        if raw is not None:
            inner = body

            async def body():
                note = await inner()
                self._fix_tags(self.vm(int(tid)) if ttype == 'qmcreate' else self.ct(int(tid)), raw)
                return note
        return await super().task(node, ttype, tid, user, body, *args, **kwargs)
