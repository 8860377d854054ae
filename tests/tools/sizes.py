"""Lines per class and per function (the largest ten of each) under a folder: the size measure of issue 14.

Usage: python tests/tools/sizes.py [folder] [count]
"""

import ast
import os
import sys


def sizes(root):
    classes, functions = [], []
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            with open(path) as fh:
                tree = ast.parse(fh.read(), path)
            for node in ast.walk(tree):
                lines = getattr(node, 'end_lineno', 0) - getattr(node, 'lineno', 0) + 1
                if isinstance(node, ast.ClassDef):
                    classes.append((lines, '{0}:{1}'.format(path, node.name)))
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions.append((lines, '{0}:{1}'.format(path, node.name)))
    return sorted(classes, reverse=True), sorted(functions, reverse=True)


def main(argv):
    root = argv[1] if len(argv) > 1 else 'plugins'
    count = int(argv[2]) if len(argv) > 2 else 10
    classes, functions = sizes(root)
    for title, rows in (('classes', classes), ('functions', functions)):
        print('largest {0} {1}:'.format(count, title))
        for lines, where in rows[:count]:
            print('  {0:5d}  {1}'.format(lines, where))


if __name__ == '__main__':
    main(sys.argv)
