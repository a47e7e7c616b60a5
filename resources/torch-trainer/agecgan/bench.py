"""Images/s of one D + G step (train.py's own gan_step) on random data, for `npm run bench`.

spec: {preset, batch, steps, rounds, device: 'cpu' | 'cuda', threads?}
"""
import json
import shutil
import tempfile
import time

import numpy as np
import torch

from .data import Rng
from .train import Trainer


class RandomBatches:
    """Stands in for the dataset: uniform images, labels cycling through the bins."""

    def __init__(self, p):
        self.p = p

    def next(self, batch, _rng):
        size = self.p['imageSize']
        return np.random.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32), [i % self.p['bins'] for i in range(batch)]


def bench(spec):
    p, batch = spec['preset'], spec['batch']
    out = tempfile.mkdtemp(prefix='agecgan-bench-')
    config = {'batch': batch, 'seed': 1, 'lrG': 2e-4, 'lrD': 2e-4, 'lrE': 2e-4, 'beta1': 0.5, 'labelSmoothing': 0}
    try:
        trainer = Trainer({'preset': p, 'config': config, 'out': out, 'device': spec.get('device', 'cpu'), 'threads': spec.get('threads')})
        trainer.noise_device = 'cpu'
        trainer.noise = torch.Generator().manual_seed(1)
        trainer.data_rng = Rng(1)
        trainer.build(None)
        batches = RandomBatches(p)

        def steps(count):
            for _ in range(count):
                trainer.gan_step(batches)
            if trainer.device.type == 'cuda':
                torch.cuda.synchronize()

        steps(1)  # warm-up: allocations, kernel selection
        rounds = []
        for _ in range(spec.get('rounds', 3)):
            began = time.perf_counter()
            steps(spec.get('steps', 3))
            rounds.append(batch * spec.get('steps', 3) / (time.perf_counter() - began))
        rounds.sort()
        return {'best': rounds[-1], 'median': rounds[len(rounds) // 2], 'device': str(trainer.device), 'threads': torch.get_num_threads()}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(spec):
    print(json.dumps(bench(spec)))
