"""The Age-cGAN networks, layer for layer the same as src/engine/model/networks.ts (tfjs).

A preset is data (the studio writes the resolved preset into the run spec), so no table of sizes
is repeated here. Where tfjs and PyTorch differ, this file follows tfjs:
- convolutions pad like TensorFlow's 'same' (the extra pixel after, not split evenly);
- feature maps are flattened in NHWC order before a dense layer, and G's dense output is
  reshaped as NHWC, so dense kernels map to tfjs by a plain transpose;
- batch norm uses epsilon 1e-3, updates its moving averages with tfjs's momentum and the biased
  batch variance (torch.nn.BatchNorm would use the unbiased one).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ALPHA = 0.2
BN_EPSILON = 1e-3


def same_padding(size, kernel, stride):
    """TensorFlow's 'same': output ceil(size / stride), the odd pixel of padding after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Module):
    """Conv2d with tfjs 'same' padding."""

    def __init__(self, channels_in, channels_out, kernel, stride=1):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, stride)

    def forward(self, x):
        top, bottom = same_padding(x.shape[2], self.kernel, self.stride)
        left, right = same_padding(x.shape[3], self.kernel, self.stride)
        return self.conv(F.pad(x, (left, right, top, bottom)))


class TfBatchNorm(nn.Module):
    """tfjs-layers batchNormalization over the channel axis (1 for NCHW maps and for vectors)."""

    def __init__(self, features, momentum):
        super().__init__()
        self.momentum = momentum
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))
        self.register_buffer('moving_mean', torch.zeros(features))
        self.register_buffer('moving_variance', torch.ones(features))

    def forward(self, x):
        dims = [0] if x.dim() == 2 else [0, 2, 3]
        shape = [1, -1] + [1] * (x.dim() - 2)
        if self.training:
            mean = x.mean(dims)
            variance = x.var(dims, unbiased=False)
            with torch.no_grad():
                decay = 1 - self.momentum
                self.moving_mean.sub_((self.moving_mean - mean) * decay)
                self.moving_variance.sub_((self.moving_variance - variance) * decay)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        scale = self.gamma / torch.sqrt(variance + BN_EPSILON)
        return (x - mean.view(shape)) * scale.view(shape) + self.beta.view(shape)


def lrelu(x):
    return F.leaky_relu(x, ALPHA)


def flatten_nhwc(x):
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


class Generator(nn.Module):
    """G(z, y): concat → Dense → Dense → 8×8 → [UpSample → Conv k5 → BN → LReLU]… → UpSample → Conv 3 → tanh."""

    def __init__(self, p):
        super().__init__()
        g, momentum = p['generator'], p['bnMomentum']
        self.base, self.dropout = g['base'], g['dropout']
        self.dense1 = nn.Linear(p['zDim'] + p['bins'], g['dense'])
        self.dense2 = nn.Linear(g['dense'], g['base'] * 64)
        self.bn0 = TfBatchNorm(g['base'] * 64, momentum)
        widths = [g['base']] + list(g['ups'])
        self.ups = nn.ModuleList(Conv(a, b, 5) for a, b in zip(widths, widths[1:]))
        self.bns = nn.ModuleList(TfBatchNorm(b, momentum) for b in widths[1:])
        self.out = Conv(widths[-1], 3, 5)

    def forward(self, z, y):
        x = F.dropout(lrelu(self.dense1(torch.cat([z, y], 1))), self.dropout, self.training)
        x = F.dropout(lrelu(self.bn0(self.dense2(x))), self.dropout, self.training)
        x = x.view(-1, 8, 8, self.base).permute(0, 3, 1, 2)
        for conv, bn in zip(self.ups, self.bns):
            x = lrelu(bn(conv(F.interpolate(x, scale_factor=2, mode='nearest'))))
        return torch.tanh(self.out(F.interpolate(x, scale_factor=2, mode='nearest')))

    def tfjs_layers(self):
        """(module, kind) in the order tfjs lists this network's weights."""
        return [(self.dense1, 'dense'), (self.dense2, 'dense'), (self.bn0, 'bn')] + [
            pair for conv, bn in zip(self.ups, self.bns) for pair in ((conv.conv, 'conv'), (bn, 'bn'))
        ] + [(self.out.conv, 'conv')]


class Discriminator(nn.Module):
    """D(x, y): Conv k3 s2 → LReLU → concat y tiled → [Conv k3 s2 → BN → LReLU]… → Flatten → Dense 1 (logits)."""

    def __init__(self, p):
        super().__init__()
        d, momentum, bins = p['discriminator'], p['bnMomentum'], p['bins']
        self.first = Conv(3, d['first'], 3, 2)
        widths = [d['first'] + bins] + list(d['convs'])
        self.convs = nn.ModuleList(Conv(a, b, 3, 2) for a, b in zip(widths, widths[1:]))
        self.bns = nn.ModuleList(TfBatchNorm(b, momentum) for b in widths[1:])
        side = p['imageSize'] // 2 ** (len(d['convs']) + 1)
        self.dense = nn.Linear(widths[-1] * side * side, 1)

    def forward(self, x, y):
        x = lrelu(self.first(x))
        tiled = y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        x = torch.cat([x, tiled], 1)
        for conv, bn in zip(self.convs, self.bns):
            x = lrelu(bn(conv(x)))
        return self.dense(flatten_nhwc(x))

    def tfjs_layers(self):
        return [(self.first.conv, 'conv')] + [
            pair for conv, bn in zip(self.convs, self.bns) for pair in ((conv.conv, 'conv'), (bn, 'bn'))
        ] + [(self.dense, 'dense')]


class Encoder(nn.Module):
    """E(x): Conv k5 s2 (no BN) → [Conv k5 s2 → BN → LReLU]… → Flatten → Dense → BN → LReLU → Dense z."""

    def __init__(self, p):
        super().__init__()
        e, momentum = p['encoder'], p['bnMomentum']
        widths = [3] + list(e['convs'])
        self.convs = nn.ModuleList(Conv(a, b, 5, 2) for a, b in zip(widths, widths[1:]))
        self.bns = nn.ModuleList(TfBatchNorm(b, momentum) for b in widths[2:])
        side = p['imageSize'] // 2 ** len(e['convs'])
        self.dense = nn.Linear(widths[-1] * side * side, e['dense'])
        self.bn = TfBatchNorm(e['dense'], momentum)
        self.out = nn.Linear(e['dense'], p['zDim'])

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i > 0:
                x = self.bns[i - 1](x)
            x = lrelu(x)
        return self.out(lrelu(self.bn(self.dense(flatten_nhwc(x)))))

    def tfjs_layers(self):
        layers = [(self.convs[0].conv, 'conv')]
        for conv, bn in zip(self.convs[1:], self.bns):
            layers += [(conv.conv, 'conv'), (bn, 'bn')]
        return layers + [(self.dense, 'dense'), (self.bn, 'bn'), (self.out, 'dense')]


NETWORKS = {'generator': Generator, 'discriminator': Discriminator, 'encoder': Encoder}
