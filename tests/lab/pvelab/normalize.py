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
* `cipassword` is masked in `GET .../pending` (`**********`, and `********** ` for a pending value) and in
  `GET .../cloudinit` (qemu-server src/PVE/API2/Qemu.pm vm_pending, cloudinit_pending).
"""

import json
import re
import urllib.parse

from aiohttp import web

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


def _read_back(data, reader):
    if 'description' in data:
        text = reader(data['description'])
        if text is None:
            del data['description']
        else:
            data['description'] = text
    return data


def _pending_items(items, reader, mask=False):
    out = []
    for item in items:
        item = dict(item)
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
            _read_back(body['data'], vm_description)
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
        return _read_back(await super()._lxc_config_get(user, v), ct_description)

    async def _lxc_pending(self, user, v):
        return _pending_items(await super()._lxc_pending(user, v), ct_description)
