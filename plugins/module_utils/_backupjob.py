# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster backup jobs (/cluster/backup): read, compare as PVE stores them, converge. Private to the collection.

pve-manager PVE/API2/Backup.pm keeps each job in jobs.cfg. Read back, `enabled` is 0/1, `vmid` and `exclude`
the comma lists sent, `prune-backups` an object (it is a property string in POST and PUT), `all` 1. The
selection is one of vmid, pool, or all (with exclude): update_job drops the others when one is set.
"""

from __future__ import annotations

from ._calendar import check_calendar_event
from ._errors import ValidationError
from ._mapping import check_config_id

PRUNE_KEYS = ('keep-all', 'keep-last', 'keep-hourly', 'keep-daily', 'keep-weekly', 'keep-monthly', 'keep-yearly')
# Module option -> PVE key, for the plain options compared as text.
TEXT_OPTIONS = (('storage', 'storage'), ('mode', 'mode'), ('compress', 'compress'),
                ('notes_template', 'notes-template'), ('notification_mode', 'notification-mode'),
                ('comment', 'comment'))


def check_job_id(option, value):
    check_config_id(option, value)
    if len(value) > 50:
        raise ValidationError(option, value, 'is longer than 50 characters')
    return value


def normalize_prune(option, value):
    """prune_backups as {pve key: int}; keys may be spelt keep_last or keep-last. Raises ValidationError."""
    out = {}
    for key, number in (value or {}).items():
        pve_key = str(key).replace('_', '-')
        if pve_key not in PRUNE_KEYS:
            raise ValidationError('{0}.{1}'.format(option, key), number, 'unknown retention option (known: {0})'.format(
                ', '.join(PRUNE_KEYS)))
        if pve_key == 'keep-all':
            number = 1 if number in (True, 1, '1', 'true', 'yes') else 0
        else:
            try:
                number = int(number)
            except (TypeError, ValueError):
                raise ValidationError('{0}.{1}'.format(option, key), number, 'must be a whole number')
            if number < 1:
                raise ValidationError('{0}.{1}'.format(option, key), number, 'must be at least 1')
        out[pve_key] = number
    if out.get('keep-all') and len(out) > 1:
        raise ValidationError(option, value, 'keep-all cannot be set together with other options')
    return out


def prune_text(prune):
    return ','.join('{0}={1}'.format(k, prune[k]) for k in PRUNE_KEYS if k in prune)


def stored_prune(value):
    """prune-backups as read: an object (PVE 7.2+) or a property string."""
    if isinstance(value, dict):
        return dict((k, int(v)) for k, v in value.items())
    out = {}
    for part in str(value or '').split(','):
        if '=' in part:
            key, number = part.split('=', 1)
            out[key.strip()] = int(number)
    return out


def id_list(value):
    return sorted(set(int(v) for v in str(value or '').replace(';', ',').replace(' ', ',').split(',') if v))


def job_view(job):
    """A job as the module returns it (and diff mode shows it): the module's option names."""
    if not job:
        return {}
    out = {'id': job.get('id'), 'schedule': job.get('schedule'), 'enabled': bool(int(job.get('enabled', 1)))}
    if job.get('vmid'):
        out['vmids'] = id_list(job['vmid'])
    if job.get('pool'):
        out['pool'] = job['pool']
    if int(job.get('all') or 0):
        out['all'] = True
        out['exclude'] = id_list(job.get('exclude'))
    for option, key in TEXT_OPTIONS:
        if job.get(key) not in (None, ''):
            out[option] = str(job[key])
    if job.get('prune-backups'):
        out['prune_backups'] = stored_prune(job['prune-backups'])
    return out


def read_job(client, job_id):
    for job in client.get('/cluster/backup') or []:
        if job.get('id') == job_id:
            return job
    return None


def desired_changes(want, current):
    """(params to send, keys to delete) that bring `current` (None: a new job) to `want` (module params)."""
    current = current or {}
    params, delete = {}, []
    if want['schedule'] is not None and want['schedule'].strip() != str(current.get('schedule') or '').strip():
        params['schedule'] = want['schedule'].strip()
    if want['enabled'] is not None and int(want['enabled']) != int(current.get('enabled', 1)):
        params['enabled'] = int(want['enabled'])
    if want['vmids'] is not None:
        if id_list(current.get('vmid')) != sorted(set(want['vmids'])) or current.get('pool') or current.get('all'):
            params['vmid'] = ','.join(str(v) for v in sorted(set(want['vmids'])))
    elif want['pool'] is not None:
        if current.get('pool') != want['pool'] or current.get('vmid') or int(current.get('all') or 0):
            params['pool'] = want['pool']
    elif want['all']:
        exclude = sorted(set(want['exclude'] or []))
        if not int(current.get('all') or 0) or current.get('vmid') or current.get('pool'):
            params['all'] = 1
        if exclude != id_list(current.get('exclude')):
            if exclude:
                params['exclude'] = ','.join(str(v) for v in exclude)
            elif current:
                delete.append('exclude')
    for option, key in TEXT_OPTIONS:
        value = want.get(option)
        if value is None:
            continue
        if value == '':
            if current.get(key) not in (None, ''):
                delete.append(key)
        elif str(current.get(key) or '') != value:
            params[key] = value
    if want['prune_backups'] is not None:
        prune = want['prune_backups']
        if prune != stored_prune(current.get('prune-backups')):
            if prune:
                params['prune-backups'] = prune_text(prune)
            elif current.get('prune-backups'):
                delete.append('prune-backups')
    return params, delete


def check_job(module, want, creating):
    """Checks before any write: schedule, selection, pool and storage."""
    client = module.client
    if want['schedule'] is not None:
        problem = check_calendar_event(want['schedule'])
        if problem:
            raise ValidationError('schedule', want['schedule'], problem)
    chosen = [name for name in ('vmids', 'pool', 'all') if want[name] not in (None, False)]
    if len(chosen) > 1:
        raise ValidationError(chosen[1], want[chosen[1]], 'conflicts with {0}: a job backs up the guests of one '
                                                          'selection (vmids, pool, or all with exclude)'.format(chosen[0]))
    if want['exclude'] and not want['all']:
        raise ValidationError('exclude', want['exclude'], 'applies with all=true only')
    if want['vmids'] is not None and not want['vmids']:
        raise ValidationError('vmids', want['vmids'], 'lists no guest; give at least one VMID, a pool, or all=true')
    for option in ('vmids', 'exclude'):
        for vmid in want[option] or []:
            if not 100 <= vmid <= 999999999:
                raise ValidationError(option, vmid, 'is not a VMID (PVE: 100 to 999999999)')
    if want['notes_template'] and '\n' in want['notes_template']:
        raise ValidationError('notes_template', want['notes_template'], 'contains a line feed (PVE keeps the '
                                                                        'template on one line: write a new line as '
                                                                        '\\n)')
    if creating:
        if want['schedule'] is None:
            raise ValidationError('schedule', None, 'is required to create the job')
        if not chosen:
            raise ValidationError('vmids', None, 'a new job needs a selection: vmids, pool, or all=true')
    if want['pool']:
        found = [p for p in client.get('/pools') or [] if p.get('poolid') == want['pool']]
        if not found:
            raise ValidationError('pool', want['pool'], "pool '{0}' does not exist".format(want['pool']))
    if want['storage']:
        stores = dict((s['storage'], s) for s in client.get('/storage') or [])
        usable = sorted(s for s, i in stores.items() if 'backup' in str(i.get('content', '')).split(','))
        if want['storage'] not in usable:
            why = 'does not take backups (its content is {0})'.format(stores[want['storage']].get('content')) \
                if want['storage'] in stores else 'no such storage'
            raise ValidationError('storage', want['storage'], '{0}; backup storages: {1}'.format(
                why, ', '.join(usable) or 'none'))


def ensure_job(module, job_id, want, state='present'):
    """Bring the backup job to the state asked. Exits the module."""
    client = module.client
    current = read_job(client, job_id)
    before = job_view(current)
    path = '/cluster/backup/{0}'.format(job_id)
    if state == 'absent':
        if current is not None:
            module.write('DELETE', path, action='delete backup job {0}'.format(job_id),
                         settle=lambda: read_job(client, job_id) is None)
        module.exit(changed=current is not None, id=job_id, job={}, diff={'before': before, 'after': {}})
        return
    params, delete = desired_changes(want, current)
    changed = bool(params or delete)
    if changed:
        check_job(module, want, current is None)
    if params.get('notes-template') and 'storage' not in params:
        # The schema's `requires => 'storage'` (pve-guest-common VZDump/Common.pm) is checked against the
        # parameters of the request, so the job's storage goes along with a new template.
        if not (current or {}).get('storage') or 'storage' in delete:
            raise ValidationError('notes_template', want['notes_template'], 'needs storage: PVE writes notes '
                                                                            'only to backups on a storage it is '
                                                                            'given (missing property required by '
                                                                            "'notes-template')")
        params['storage'] = current['storage']
    if current is None:
        params['id'] = job_id
        module.write('POST', '/cluster/backup', params, action='create backup job {0}'.format(job_id),
                     settle=lambda: read_job(client, job_id) is not None)
        params.pop('id')
    elif changed:
        data = dict(params)
        if delete:
            data['delete'] = ','.join(delete)
        module.write('PUT', path, data, action='update backup job {0}: {1}'.format(
            job_id, ', '.join(sorted(set(params) | set(delete)))))
    if changed and not module.check_mode:
        after = job_view(read_job(client, job_id))
    else:
        after_job = dict(current or {'id': job_id, 'enabled': 1})
        for key in delete:
            after_job.pop(key, None)
        after_job.update(params)
        if 'vmid' in params:
            for key in ('all', 'exclude', 'pool'):
                after_job.pop(key, None)
        elif 'all' in params:
            after_job.pop('vmid', None)
            after_job.pop('pool', None)
        elif 'pool' in params:
            for key in ('vmid', 'all', 'exclude'):
                after_job.pop(key, None)
        after = job_view(after_job)
    module.exit(changed=changed, id=job_id, job=after, diff={'before': before, 'after': after})


def converge_backup_job(module):
    """The module pve_backup_job: check the options, then converge."""
    p = module.params
    check_job_id('id', p['id'])
    want = dict((k, p[k]) for k in ('schedule', 'vmids', 'pool', 'all', 'exclude', 'storage', 'mode', 'compress',
                                    'notes_template', 'notification_mode', 'comment', 'enabled'))
    want['prune_backups'] = None if p['prune_backups'] is None else normalize_prune('prune_backups',
                                                                                    p['prune_backups'])
    ensure_job(module, p['id'], want, state=p['state'])
