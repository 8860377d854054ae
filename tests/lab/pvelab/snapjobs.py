"""Snapshot capability and cluster backup jobs, stateful where fakepve answers generically.

- GET /nodes/{node}/{qemu,lxc}/{vmid}/feature: qemu-server PVE/API2/Qemu.pm vm_feature and pve-container
  PVE/API2/LXC.pm vm_feature answer `{hasFeature, nodes}` from has_feature (pve-guest-common
  PVE/AbstractConfig.pm; QemuConfig.pm / LXC/Config.pm has_feature ask pve-storage volume_has_feature for every
  volume), the same check snapshot_create makes before it dies with "snapshot feature is not available".
  The lab answers with fakepve's own snapshot rule, so the endpoint and the snapshot task agree.
- /cluster/backup: pve-manager PVE/API2/Backup.pm index, create_job, read_job, update_job, delete_job; the
  jobs live in jobs.cfg (PVE::VZDump::JobBase), `prune-backups` is stored as a property string and returned
  as an object, `enabled` as 0/1, `vmid` as the comma list sent.
"""

import copy
import uuid

from fakepve.lxc import SNAPSHOT_STORAGE as CT_SNAPSHOT_STORAGE
from fakepve.routing import die, param_error, split_list

from .calendar import register_calendar_format

# Job options that are property strings on the wire and objects in answers (Backup.pm $backup_job_return_schema).
OBJECT_OPTIONS = ('prune-backups', 'fleecing', 'performance')
# Options update_job may delete besides vzdump's own (Backup.pm update_job $deletable).
DELETABLE = ('comment', 'repeat-missed')
# Keys that are not job options: the request's own parameters.
NOT_STORED = ('id', 'delete', 'starttime', 'dow')


def _parse_props(text):
    out = {}
    for part in split_list(str(text).replace(',', ' ')):
        key, _sep, value = part.partition('=')
        out[key] = int(value) if value.isdigit() else value
    return out


class SnapJobsApi(object):
    """Mixin for the lab's FakePve."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        register_calendar_format()
        # jobs.cfg: id -> options as stored
        self.backup_jobs = {}

    def _routes_snapjobs(self):
        return [('GET', '/nodes/{node}/qemu/{vmid}/feature', self._qm_feature),
                ('GET', '/nodes/{node}/lxc/{vmid}/feature', self._ct_feature),
                ('GET', '/cluster/backup', self._job_index), ('POST', '/cluster/backup', self._job_create),
                ('GET', '/cluster/backup/{id}', self._job_read), ('PUT', '/cluster/backup/{id}', self._job_update),
                ('DELETE', '/cluster/backup/{id}', self._job_delete)]

    # ---------------------------------------------------------------- feature

    def _feature_answer(self, feature, has):
        if feature != 'snapshot':
            raise die("the lab models the 'snapshot' feature only, not '{0}'".format(feature))
        return {'hasFeature': 1 if has else 0, 'nodes': []}

    async def _qm_feature(self, v, user):
        vm = self.find(v['node'], v['vmid'])
        config = vm.snapshots.get(v['snapname']) if v.get('snapname') else vm.config
        if config is None:
            raise die("snapshot '{0}' does not exist".format(v['snapname']))
        return self._feature_answer(v['feature'], self._qm_can_snapshot(config))

    async def _ct_feature(self, v, user):
        ct = self._find_ct(v['node'], v['vmid'])
        has = not any(self.storages.get(m['volume'].split(':')[0], {}).get('type') not in CT_SNAPSHOT_STORAGE
                      and m['volume'].split(':')[0] in self.storages for _key, m in ct.volumes())
        return self._feature_answer(v['feature'], has)

    # ---------------------------------------------------------- backup jobs

    def _job_view(self, job_id, job):
        out = copy.deepcopy(job)
        for key in OBJECT_OPTIONS:
            if key in out:
                out[key] = _parse_props(out[key])
        out['id'] = job_id
        out['type'] = 'vzdump'
        return out

    @staticmethod
    def _stored(value):
        return int(value) if isinstance(value, bool) else value

    def _check_job(self, job, check_missing):
        """PVE::VZDump::verify_vzdump_parameters."""
        for key in ('all', 'exclude', 'pool'):
            if job.get(key) and job.get('vmid'):
                raise param_error(**{key: "option conflicts with option 'vmid'"})
        if job.get('exclude') is not None and not job.get('pool'):
            job['all'] = 1
        if check_missing and not (job.get('all') or job.get('stop') or job.get('pool')) and not job.get('vmid'):
            raise param_error(vmid='property is missing')

    def _check_pool(self, v):
        if v.get('pool') and v['pool'] not in self.pools:
            raise die("pool '{0}' does not exist".format(v['pool']))

    async def _job_index(self, v, user):
        return [self._job_view(job_id, job) for job_id, job in self.backup_jobs.items()]

    async def _job_read(self, v, user):
        job = self.backup_jobs.get(v['id'])
        if job is None:
            raise param_error(id="No such job '{0}'".format(v['id']))
        return self._job_view(v['id'], job)

    async def _job_create(self, v, user):
        self._check_pool(v)
        if v.get('schedule') is None:
            raise param_error(schedule="neither 'starttime' nor 'schedule' were set")
        job_id = v.get('id') or str(uuid.uuid4())
        if job_id in self.backup_jobs:
            raise die("Job '{0}' already exists".format(job_id))
        job = dict((k, self._stored(x)) for k, x in v.items() if k not in NOT_STORED)
        job.setdefault('enabled', 1)
        self._check_job(job, True)
        self.backup_jobs[job_id] = job

    async def _job_update(self, v, user):
        self._check_pool(v)
        job_id = v['id']
        params = dict((k, self._stored(x)) for k, x in v.items() if k not in NOT_STORED)
        delete = split_list(v.get('delete'))
        if not params and not delete:
            raise die('no options specified')
        self._check_job(dict(params), False)
        current = self.backup_jobs.get(job_id)
        if current is None:
            raise die('no such vzdump job')
        job = copy.deepcopy(current)
        known = set(self._backup_job_options())
        for key in delete:
            if key not in known and key not in DELETABLE:
                raise param_error(delete="unknown option '{0}'".format(key))
            job.pop(key, None)
        job.update(params)
        if job.get('exclude') is not None and not job.get('pool'):
            job['all'] = 1
        if params.get('vmid') is not None:
            for key in ('all', 'exclude', 'pool'):
                job.pop(key, None)
        elif params.get('all'):
            job.pop('vmid', None)
            job.pop('pool', None)
        elif job.get('pool'):
            for key in ('vmid', 'all', 'exclude'):
                job.pop(key, None)
        self._check_job(job, True)
        self.backup_jobs[job_id] = job

    async def _job_delete(self, v, user):
        if v['id'] not in self.backup_jobs:
            raise param_error(id="No such job '{0}'".format(v['id']))
        del self.backup_jobs[v['id']]

    @staticmethod
    def _backup_job_options():
        """vzdump's options (PVE::VZDump::option_exists): the create method's parameters but the job's own."""
        from fakepve import schema as pve_schema
        info = pve_schema.load().paths['/cluster/backup']['POST']
        props = (info.get('parameters') or {}).get('properties', {})
        return [k for k in props if k not in ('id', 'schedule', 'starttime', 'dow', 'enabled', 'repeat-missed',
                                              'comment')]
