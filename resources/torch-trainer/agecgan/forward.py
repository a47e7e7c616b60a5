"""Runs the networks in inference mode on raw float32 inputs, for the equivalence test.

spec: {preset, networks: {name: {template, weights | null, seed?, save?}}, inputs: {z, y, x: file}, batch, out}
A network without `weights` starts from torch's own initialisation (seeded); `save` writes it
back in the studio's format, so the test checks both directions.
"""
import os

import numpy as np
import torch

from .networks import NETWORKS
from .tfjs_io import load_weights, save_network


def _read(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype='<f4').reshape(shape).copy())


def forward(spec):
    torch.set_num_threads(max(1, torch.get_num_threads()))
    p, n = spec['preset'], spec['batch']
    size = p['imageSize']
    z = _read(spec['inputs']['z'], (n, p['zDim']))
    y = _read(spec['inputs']['y'], (n, p['bins']))
    # The studio's images are NHWC; torch's networks take NCHW.
    x = _read(spec['inputs']['x'], (n, size, size, 3)).permute(0, 3, 1, 2)
    os.makedirs(spec['out'], exist_ok=True)
    for name, options in spec['networks'].items():
        torch.manual_seed(options.get('seed', 0))
        network = NETWORKS[name](p).eval()
        if options.get('weights'):
            load_weights(network, options['weights'])
        with torch.no_grad():
            if name == 'generator':
                result = network(z, y).permute(0, 2, 3, 1)
            elif name == 'discriminator':
                result = network(x, y)
            else:
                result = network(x)
        result.contiguous().numpy().astype('<f4').tofile(os.path.join(spec['out'], f'{name}.bin'))
        if options.get('save'):
            save_network(network, options['template'], options['save'])
