"""Training data as the studio samples it: the same seeded generator (sfc32), the same epoch
permutations, bin balancing and flips as src/engine/training/data.ts, so a torch run sees the
same images in the same order as a tfjs run with the same seed.

The dataset file: one line of JSON ({"count", "size", "bins": [...]}) then count × size × size × 3
bytes of RGB, in the run's selection order.
"""
import json

import numpy as np

MASK = 0xFFFFFFFF


class Rng:
    """src/shared/rng.ts: sfc32 seeded through splitmix32; state is four uint32s."""

    def __init__(self, seed):
        if isinstance(seed, (list, tuple)):
            self.s = [int(v) & MASK for v in seed]
            return
        self.s = [0, 0, 0, 0]
        x = seed & MASK
        for i in range(4):
            x = (x + 0x9E3779B9) & MASK
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK
            self.s[i] = (z ^ (z >> 16)) & MASK
        for _ in range(12):
            self.next_uint32()

    def next_uint32(self):
        s = self.s
        t = (s[0] + s[1] + s[3]) & MASK
        s[3] = (s[3] + 1) & MASK
        s[0] = s[1] ^ (s[1] >> 9)
        s[1] = (s[2] + (s[2] << 3)) & MASK
        s[2] = ((s[2] << 21) | (s[2] >> 11)) & MASK
        s[2] = (s[2] + t) & MASK
        return t

    def next(self):
        return self.next_uint32() / 4294967296

    def state(self):
        return list(self.s)


def load_dataset(path):
    with open(path, 'rb') as file:
        header = json.loads(file.readline())
        pixels = np.frombuffer(file.read(), dtype=np.uint8)
    count, size = header['count'], header['size']
    if pixels.size != count * size * size * 3:
        raise ValueError(f'{path}: expected {count} images of {size}×{size}, found {pixels.size} bytes')
    return pixels.reshape(count, size, size, 3), np.asarray(header['bins'], dtype=np.int64)


class BatchSampler:
    """src/engine/training/data.ts's BatchSampler; state {epoch, position} is saved in checkpoints."""

    def __init__(self, pixels, bins, bin_count, balance, seed, state=None):
        if len(pixels) == 0:
            raise ValueError('No training images: the dataset has no labelled, included images in the train split.')
        self.pixels, self.bins, self.balance, self.seed = pixels, bins, balance, seed
        self.state = dict(state or {'epoch': 0, 'position': 0})
        self.by_bin = [list(np.nonzero(bins == b)[0]) for b in range(bin_count)]
        self._shuffle()

    def _shuffle(self):
        rng = Rng((self.seed * 7919 + self.state['epoch']) & MASK)
        order = list(range(len(self.pixels)))
        for i in range(len(order) - 1, 0, -1):
            j = int(rng.next() * (i + 1))
            order[i], order[j] = order[j], order[i]
        self.order = order

    def _next_index(self, rng):
        if self.balance:
            filled = [group for group in self.by_bin if group]
            group = filled[int(rng.next() * len(filled))]
            return group[int(rng.next() * len(group))]
        if self.state['position'] >= len(self.order):
            self.state = {'epoch': self.state['epoch'] + 1, 'position': 0}
            self._shuffle()
        index = self.order[self.state['position']]
        self.state['position'] += 1
        return index

    def next(self, batch, rng):
        """Images scaled to [-1, 1] (NHWC float32) and their bins."""
        images = np.empty((batch,) + self.pixels.shape[1:], dtype=np.float32)
        bins = []
        for b in range(batch):
            index = self._next_index(rng)
            bins.append(int(self.bins[index]))
            flip = rng.next() < 0.5
            image = self.pixels[index, :, ::-1] if flip else self.pixels[index]
            images[b] = image / 127.5 - 1  # in float64, then stored as float32, as the JS does
        return images, bins


def random_bins(rng, count, bins):
    return [int(rng.next() * bins) for _ in range(count)]


def wrong_bins(rng, truth, bins):
    """A label different from each true one (steps.ts)."""
    return [(b + 1 + int(rng.next() * (bins - 1))) % bins for b in truth]
