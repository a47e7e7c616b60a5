"""The studio's checkpoint format: each network as tfjs layers files (model.json + weights.bin).

The topology (model.json) is the studio's own, written by tfjs into the run spec's templates;
this module only maps weights between tfjs's layout and PyTorch's, in manifest order:
- dense kernels are [in, out] in tfjs, [out, in] in torch;
- conv kernels are [kh, kw, in, out] in tfjs, [out, in, kh, kw] in torch;
- batch norm's gamma and beta come with the trainable weights, its moving statistics after all of them.
Float32 values are moved, never recomputed, so tfjs → torch → tfjs is byte-identical.
"""
import json
import os
import struct
import zlib

import numpy as np
import torch

SUFFIXES = {'dense': ['kernel', 'bias'], 'conv': ['kernel', 'bias'], 'bn': ['gamma', 'beta', 'moving_mean', 'moving_variance']}


def _tensors(module, kind):
    """The module's tensors in tfjs order, each with the permutation from tfjs to torch."""
    if kind == 'dense':
        return [(module.weight, (1, 0)), (module.bias, None)]
    if kind == 'conv':
        return [(module.weight, (3, 2, 0, 1)), (module.bias, None)]
    return [(module.gamma, None), (module.beta, None), (module.moving_mean, None), (module.moving_variance, None)]


def _slots(network):
    """tfjs lists every trainable weight in layer order, then the non-trainable ones (moving stats)."""
    trainable, moving = [], []
    for module, kind in network.tfjs_layers():
        for (tensor, permutation), suffix in zip(_tensors(module, kind), SUFFIXES[kind]):
            (moving if suffix.startswith('moving_') else trainable).append((tensor, permutation, suffix))
    return trainable + moving


def read_manifest(folder):
    with open(os.path.join(folder, 'model.json'), encoding='utf-8') as file:
        model = json.load(file)
    return model, model['weightsManifest'][0]['weights']


def load_weights(network, folder):
    """Loads a tfjs layers model's weights into the torch network, checking names and shapes."""
    _, specs = read_manifest(folder)
    data = np.fromfile(os.path.join(folder, 'weights.bin'), dtype='<f4')
    slots = _slots(network)
    if len(specs) != len(slots):
        raise ValueError(f'{folder}: {len(specs)} weights in the file, the network has {len(slots)}')
    offset = 0
    for spec, (tensor, permutation, suffix) in zip(specs, slots):
        if not spec['name'].endswith(suffix):
            raise ValueError(f"{folder}: expected a {suffix}, found {spec['name']}")
        size = int(np.prod(spec['shape'])) if spec['shape'] else 1
        value = torch.from_numpy(data[offset:offset + size].copy()).reshape(spec['shape'])
        offset += size
        if permutation:
            value = value.permute(*permutation)
        if tuple(value.shape) != tuple(tensor.shape):
            raise ValueError(f"{folder}: {spec['name']} is {list(value.shape)} in torch terms, the network wants {list(tensor.shape)}")
        with torch.no_grad():
            tensor.copy_(value)
    if offset != data.size:
        raise ValueError(f'{folder}: weights.bin holds {data.size} floats, the manifest {offset}')


def weights_bytes(network, folder_template):
    """The network's weights as tfjs's weights.bin bytes, in the template's manifest order."""
    _, specs = read_manifest(folder_template)
    parts = []
    for spec, (tensor, permutation, _) in zip(specs, _slots(network)):
        value = tensor.detach().cpu()
        if permutation:
            inverse = [permutation.index(i) for i in range(len(permutation))]
            value = value.permute(*inverse)
        parts.append(value.contiguous().numpy().astype('<f4').tobytes())
    return b''.join(parts)


def save_network(network, template, folder):
    """model.json (the template's topology) + weights.bin, as tfjs writes them."""
    os.makedirs(folder, exist_ok=True)
    model, _ = read_manifest(template)
    with open(os.path.join(folder, 'weights.bin'), 'wb') as file:
        file.write(weights_bytes(network, template))
    with open(os.path.join(folder, 'model.json'), 'w', encoding='utf-8') as file:
        json.dump(model, file)


def png_bytes(rgb):
    """An RGB uint8 array [h, w, 3] as PNG, with zlib alone."""
    height, width, _ = rgb.shape
    raw = b''.join(b'\x00' + rgb[row].tobytes() for row in range(height))

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b'')
