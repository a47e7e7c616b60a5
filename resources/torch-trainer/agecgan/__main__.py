"""python -m agecgan train SPEC.json | forward SPEC.json | bench SPEC.json | probe

`train` runs a studio run spec (also under torchrun); `forward` runs networks on given inputs
(the studio's equivalence test uses it); `bench` times training steps; `probe` says what this
Python can do.
"""
import json
import os
import sys


def resolve_paths(spec, base):
    """A run kit's spec names its files relative to itself, so the kit can move to any machine."""
    def resolve(path):
        return path if path is None or os.path.isabs(path) else os.path.join(base, path)
    for key in ('dataset', 'out', 'resume'):
        if key in spec:
            spec[key] = resolve(spec[key])
    if 'templates' in spec:
        spec['templates'] = {name: resolve(path) for name, path in spec['templates'].items()}
    return spec


def main(argv):
    if len(argv) >= 1 and argv[0] == 'probe':
        from .probe import probe
        print(json.dumps(probe()))
        return 0
    if len(argv) != 2 or argv[0] not in ('train', 'forward', 'bench'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding='utf-8') as file:
        spec = resolve_paths(json.load(file), os.path.dirname(os.path.abspath(argv[1])))
    if argv[0] == 'forward':
        from .forward import forward
        forward(spec)
        return 0
    if argv[0] == 'bench':
        from .bench import main as bench
        bench(spec)
        return 0
    from .train import train
    return train(spec)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
