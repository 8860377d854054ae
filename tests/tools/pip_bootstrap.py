"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap pip into its sanity venvs.

ansible-test fetches get-pip from ci-files.testing.ansible.com, which these machines cannot reach. This
script does the same job from what is at hand: pip from the interpreter's own ensurepip, then the pinned
pip (and setuptools/wheel unless refused) from the package index. It takes get-pip's arguments.

Usage: python tests/tools/pip_bootstrap.py install HOME  -- put this script where ansible-test looks for
its cached copy under HOME (the sanity target runs ansible-test with that HOME).
"""

import os
import re
import shutil
import subprocess
import sys


def bootstrap(args):
    extra = []
    if '--no-setuptools' not in args:
        extra.append('setuptools')
    if '--no-wheel' not in args:
        extra.append('wheel')
    args = [a for a in args if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args + extra)


def install(home):
    import ansible_test
    source = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
    with open(source) as fh:
        version = re.search(r"pip='([0-9.]+)'", fh.read()).group(1)
    cache = os.path.join(home, '.ansible', 'test', 'cache')
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, 'get_pip_{0}.py'.format(version.replace('.', '_')))
    shutil.copyfile(os.path.abspath(__file__), target)
    print('pip bootstrap for ansible-test: {0}'.format(target))


if __name__ == '__main__':
    if sys.argv[1:2] == ['install']:
        install(sys.argv[2])
    else:
        bootstrap(sys.argv[1:])
