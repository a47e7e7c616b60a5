"""Differentiable augmentation for D (Zhao et al., 2020, "Differentiable Augmentation for
Data-Efficient GAN Training"; policy color,translation,cutout), as in
src/engine/training/augment.ts. D sees every image, real or generated, through the same random
transforms; G's gradient flows through them. It keeps D from memorising a small training set.

Images are NCHW in [-1, 1]; each image draws its own transform from `generator` (a torch
Generator on the CPU, so a run is reproducible on any device).
"""
import torch
import torch.nn.functional as F

TRANSLATION = 1 / 8  # of the side, each way
CUTOUT = 1 / 2  # side of the blanked square, of the image's side


def uniform(generator, rows, low, high, device):
    return (torch.rand(rows, 1, 1, 1, generator=generator) * (high - low) + low).to(device)


def color(x, generator):
    rows, device = x.shape[0], x.device
    x = x + uniform(generator, rows, -0.5, 0.5, device)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * uniform(generator, rows, 0.0, 2.0, device) + mean
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * uniform(generator, rows, 0.5, 1.5, device) + mean


def translation(x, generator):
    """Shifts each image by whole pixels, up to TRANSLATION of its side; what comes in is zero."""
    rows, _, height, width = x.shape
    reach = int(height * TRANSLATION + 0.5)
    dy = torch.randint(-reach, reach + 1, (rows, 1, 1), generator=generator).to(x.device)
    dx = torch.randint(-reach, reach + 1, (rows, 1, 1), generator=generator).to(x.device)
    batch, ys, xs = torch.meshgrid(torch.arange(rows, device=x.device), torch.arange(height, device=x.device), torch.arange(width, device=x.device), indexing='ij')
    # Index into the image padded by one zero pixel: an index outside the image lands on the pad.
    ys = torch.clamp(ys + dy + 1, 0, height + 1)
    xs = torch.clamp(xs + dx + 1, 0, width + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)
    return padded[batch, ys, xs].permute(0, 3, 1, 2)


def cutout(x, generator):
    """Zeroes one square of CUTOUT × the side per image, centred anywhere in it."""
    rows, _, height, width = x.shape
    side = int(height * CUTOUT + 0.5)
    cy = torch.randint(0, height + (1 - side % 2), (rows, 1, 1), generator=generator)
    cx = torch.randint(0, width + (1 - side % 2), (rows, 1, 1), generator=generator)
    ys = torch.arange(height).view(1, height, 1)
    xs = torch.arange(width).view(1, 1, width)
    inside = (ys >= cy - side // 2) & (ys < cy - side // 2 + side) & (xs >= cx - side // 2) & (xs < cx - side // 2 + side)
    return x * (~inside).to(x.dtype).unsqueeze(1).to(x.device)


def diff_augment(x, generator):
    return cutout(translation(color(x, generator), generator), generator)
