"""One studio run on PyTorch: the cGAN phase, then the encoder phase, as in
src/engine/training/trainer.ts and steps.ts (same losses, label smoothing, mismatched labels, bin
balancing, flips, Adam settings, data order). Runs in one process or under torchrun
(DistributedDataParallel: NCCL on GPUs, gloo on CPUs); rank 0 writes every event, sample grid and
checkpoint.

Events are JSON lines on stdout (and appended to OUT/events.jsonl for `age-studio import-run`).
Commands arrive as lines on stdin: pause, continue, cancel, interrupt. SIGINT/SIGTERM stop after
the current step, as `interrupted`.
"""
import json
import os
import pickle
import random
import secrets
import shutil
import signal
import sys
import threading
import time
import traceback

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from .augment import diff_augment
from .data import BatchSampler, Rng, load_dataset, random_bins, wrong_bins
from .networks import NETWORKS
from .tfjs_io import load_weights, png_bytes, save_network

SAMPLE_ROWS = 4
ADAM_EPSILON = 1e-7  # tfjs's on its CPU and WebGL backends



# --- torch-state.pt: loadable with weights_only ------------------------------------------------
# A checkpoint may come back from another machine (a run kit), and a full unpickle runs whatever
# code the file names. torch 1.13's weights-only unpickler takes tensors, dicts, lists and ints but
# not floats, so an optimizer's param_groups (learning rate, betas) are stored as JSON text.

def saveable_optimizer_state(state):
    return {'state': state['state'], 'param_groups': json.dumps(state['param_groups'])}


def optimizer_state(saved):
    groups = json.loads(saved['param_groups']) if isinstance(saved['param_groups'], str) else saved['param_groups']
    for group in groups:
        group['betas'] = tuple(group['betas'])
    return {'state': saved['state'], 'param_groups': groups}


def load_torch_state(path, device, trusted):
    """weights_only always; the full unpickle only for this machine's own older checkpoints (`trusted`)."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except TypeError as error:
        raise ValueError('Resuming needs PyTorch 1.13 or newer (it loads checkpoints with weights_only).') from error
    except pickle.UnpicklingError:
        if not trusted:
            raise ValueError(f'{path} is not loadable safely (weights only): it was written by an older trainer or is not a checkpoint; it is not unpickled.')
        return torch.load(path, map_location=device)

class Control:
    """Set from stdin or signals; read between steps."""

    def __init__(self):
        self.paused = False
        self.stop = None  # 'cancelled' | 'interrupted'

    def command(self, line):
        word = line.strip()
        if word == 'pause':
            self.paused = True
        elif word == 'continue':
            self.paused = False
        elif word in ('cancel', 'interrupt'):
            self.stop = 'cancelled' if word == 'cancel' else 'interrupted'


class Events:
    def __init__(self, out, enabled):
        self.enabled = enabled
        self.log = open(os.path.join(out, 'events.jsonl'), 'a', encoding='utf-8') if enabled else None

    def emit(self, event, **fields):
        if not self.enabled:
            return
        line = json.dumps({'event': event, **fields})
        print(line, flush=True)
        self.log.write(line + '\n')
        self.log.flush()


def one_hot(bins, count, device):
    return F.one_hot(torch.tensor(bins, device=device), count).float()


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def write_atomically(folder, fill):
    """Fills folder.partial-XXXXXXXX, then renames it into place (what the studio's checkpoints do)."""
    temporary = f'{folder}.partial-{secrets.token_hex(4)}'
    os.makedirs(temporary)
    try:
        fill(temporary)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.replace(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


class Trainer:
    def __init__(self, spec):
        self.spec, self.p, self.config = spec, spec['preset'], spec['config']
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        device = spec.get('device', 'cpu')
        want_cuda = device == 'cuda' or (device == 'auto' and torch.cuda.is_available())
        if want_cuda and not torch.cuda.is_available():
            raise RuntimeError('The run asks for CUDA, and this torch sees no CUDA device.')
        local = int(os.environ.get('LOCAL_RANK', '0'))
        self.device = torch.device(f'cuda:{local}' if want_cuda else 'cpu')
        if want_cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group('nccl' if want_cuda else 'gloo')
        # Every core unless told otherwise (torchrun sets OMP_NUM_THREADS per process): some builds
        # start with one thread, half the speed on a 2-core machine.
        threads = spec.get('threads') or (None if 'OMP_NUM_THREADS' in os.environ else os.cpu_count())
        if threads:
            torch.set_num_threads(int(threads))
        if self.config['batch'] % self.world:
            raise ValueError(f"The batch ({self.config['batch']}) must divide among {self.world} processes.")
        self.out = spec['out']
        os.makedirs(os.path.join(self.out, 'samples'), exist_ok=True)
        self.events = Events(self.out, self.rank == 0)
        self.control = Control()

    # --- models -------------------------------------------------------------------------------
    def build(self, resume):
        seed = self.config['seed']
        torch.manual_seed(seed)
        random.seed(seed)
        nets = {name: NETWORKS[name](self.p) for name in NETWORKS}
        if resume:
            for name, net in nets.items():
                load_weights(net, os.path.join(resume, name))
        self.nets = {name: net.to(self.device) for name, net in nets.items()}
        # Multi-process: gradients are averaged by DDP; rank 0's batch-norm statistics are broadcast.
        self.ddp = {name: DistributedDataParallel(net) if self.world > 1 else net for name, net in self.nets.items()}
        betas = (self.config['beta1'], 0.999)
        lr = {'generator': self.config['lrG'], 'discriminator': self.config['lrD'], 'encoder': self.config['lrE']}
        self.optimizers = {n: torch.optim.Adam(self.nets[n].parameters(), lr=lr[n], betas=betas, eps=ADAM_EPSILON) for n in NETWORKS}
        if resume:
            saved = load_torch_state(os.path.join(resume, 'torch-state.pt'), self.device, self.spec.get('trustedResume', False))
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(optimizer_state(saved['optimizers'][name]))
            self.noise.set_state(saved['noise'].cpu() if self.device.type == 'cpu' else saved['noise'])
            if 'augment' in saved:
                self.augment_rng.set_state(saved['augment'].cpu())

    # --- one step of each phase ---------------------------------------------------------------
    def slice(self, tensor):
        """This rank's share of a global batch (every rank draws the same global batch)."""
        share = tensor.shape[0] // self.world
        return tensor[self.rank * share:(self.rank + 1) * share]

    def randn(self, rows):
        return torch.randn(rows, self.p['zDim'], generator=self.noise, device=self.noise_device).to(self.device)

    def gan_step(self, sampler):
        p, size, batch = self.p, self.p['imageSize'], self.config['batch']
        G, D = self.ddp['generator'], self.ddp['discriminator']
        images, truth = sampler.next(batch, self.data_rng)
        real = self.slice(torch.from_numpy(images).to(self.device).permute(0, 3, 1, 2))
        y_real = self.slice(one_hot(truth, p['bins'], self.device))
        y_fake = self.slice(one_hot(random_bins(self.data_rng, batch, p['bins']), p['bins'], self.device))
        y_wrong = self.slice(one_hot(wrong_bins(self.data_rng, truth, p['bins']), p['bins'], self.device))
        z = self.slice(self.randn(batch))
        with torch.no_grad():
            fake = self.nets['generator'](z, y_fake)
        opt_d = self.optimizers['discriminator']
        opt_d.zero_grad(set_to_none=True)
        smoothing = 1 - self.config['labelSmoothing']
        seen = self.augment(real)
        d_real = bce(D(seen, y_real), smoothing)
        d_fake = bce(D(self.augment(fake), y_fake), 0.0)
        d_mismatch = bce(D(seen, y_wrong), 0.0)
        # As in GAN-CLS: the two kinds of fake share the fake half of the loss.
        (d_real + (d_fake + d_mismatch) / 2).backward()
        opt_d.step()

        y_g = self.slice(one_hot(random_bins(self.data_rng, batch, p['bins']), p['bins'], self.device))
        z_g = self.slice(self.randn(batch))
        opt_g = self.optimizers['generator']
        opt_g.zero_grad(set_to_none=True)
        # D's own module: its gradients here are not wanted, nor synchronised.
        g = bce(self.nets['discriminator'](self.augment(G(z_g, y_g)), y_g), 1.0)
        g.backward()
        opt_g.step()
        losses = self.mean([d_real, d_fake, d_mismatch, g])
        return dict(zip(['dReal', 'dFake', 'dMismatch', 'g'], losses))

    def encoder_step(self):
        p, batch = self.p, self.config['batch']
        z = self.slice(self.randn(batch))
        y = self.slice(one_hot(random_bins(self.data_rng, batch, p['bins']), p['bins'], self.device))
        generator = self.nets['generator'].eval()
        with torch.no_grad():
            images = generator(z, y)
        opt_e = self.optimizers['encoder']
        opt_e.zero_grad(set_to_none=True)
        loss = F.mse_loss(self.ddp['encoder'](images), z)
        loss.backward()
        opt_e.step()
        return {'e': self.mean([loss])[0]}

    def augment(self, images):
        """What D sees of an image: itself, or a random differentiable transform of it (diffAugment)."""
        return diff_augment(images, self.augment_rng) if self.config.get('diffAugment') else images

    def mean(self, losses):
        values = torch.stack([loss.detach() for loss in losses])
        if self.world > 1:
            dist.all_reduce(values)
            values /= self.world
        return [float(v) for v in values.cpu()]

    # --- outputs ------------------------------------------------------------------------------
    def sample(self, phase, step):
        p, rows, bins, size = self.p, SAMPLE_ROWS, self.p['bins'], self.p['imageSize']
        generator = self.nets['generator']
        was_training = generator.training
        generator.eval()
        with torch.no_grad():
            z = self.z_fixed.repeat_interleave(bins, 0)
            y = torch.eye(bins, device=self.device).repeat(rows, 1)
            images = generator(z, y).permute(0, 2, 3, 1)
        generator.train(was_training)
        pixels = ((images + 1) * 127.5).clamp(0, 255).to(torch.int32).to(torch.uint8).cpu().numpy()
        grid = pixels.reshape(rows, bins, size, size, 3).transpose(0, 2, 1, 3, 4).reshape(rows * size, bins * size, 3)
        file = os.path.join(self.out, 'samples', f'{phase}-{step:08d}.png')
        with open(file, 'wb') as handle:
            handle.write(png_bytes(grid))
        self.events.emit('sample', phase=phase, step=step, file=file)

    def checkpoint(self, phase, step, sampler_state, losses):
        folder = os.path.join(self.out, 'checkpoints', f'{phase}-{step:08d}')

        def fill(temporary):
            for name, net in self.nets.items():
                save_network(net, self.spec['templates'][name], os.path.join(temporary, name))
            optimizers = {n: saveable_optimizer_state(o.state_dict()) for n, o in self.optimizers.items()}
            torch.save({'optimizers': optimizers, 'noise': self.noise.get_state(), 'augment': self.augment_rng.get_state()}, os.path.join(temporary, 'torch-state.pt'))
            with open(os.path.join(temporary, 'state.json'), 'w', encoding='utf-8') as handle:
                json.dump({'phase': phase, 'step': step, 'sampler': sampler_state, 'dataRng': self.data_rng.state(), 'losses': losses, 'trainer': 'torch'}, handle)

        write_atomically(folder, fill)
        self.events.emit('checkpoint', phase=phase, step=step, epoch=sampler_state['epoch'], dir=folder)

    # --- the run ------------------------------------------------------------------------------
    def stop_agreed(self):
        """Every rank stops at the same step: the stop flag is shared through an all-reduce."""
        flag = torch.tensor([1.0 if self.control.stop else 0.0], device=self.device)
        if self.world > 1:
            dist.all_reduce(flag)
        return flag.item() > 0

    def wait_while_paused(self):
        if not self.control.paused:
            return
        self.events.emit('paused')
        while self.control.paused and not self.control.stop:
            time.sleep(0.1)
        if not self.control.stop:
            self.events.emit('running')

    def run(self):
        config = self.config
        resume = self.spec.get('resume')
        saved = None
        if resume:
            with open(os.path.join(resume, 'state.json'), encoding='utf-8') as handle:
                saved = json.load(handle)
            if saved.get('trainer') != 'torch':
                raise ValueError('That checkpoint was trained on tfjs; resume it with its own backend.')
        self.noise_device = 'cpu'
        self.noise = torch.Generator(device=self.noise_device)
        self.noise.manual_seed(config['seed'] ^ 0x5EED5EED)
        # Each rank augments its own share of the batch, with its own draws.
        self.augment_rng = torch.Generator().manual_seed((config['seed'] ^ 0xA06) + self.rank)
        self.data_rng = Rng(saved['dataRng'] if saved else config['seed'] + 1)
        self.build(resume)
        fixed = torch.Generator().manual_seed(config['seed'])
        self.z_fixed = torch.randn(SAMPLE_ROWS, self.p['zDim'], generator=fixed).to(self.device)
        phases = [('gan', config['steps']), ('encoder', config.get('encoderSteps') or config['steps'])]
        if config['phase'] == 'gan':
            phases = phases[:1]
        state = {'phase': saved['phase'] if saved else 'gan', 'step': saved['step'] if saved else 0,
                 'sampler': saved['sampler'] if saved else {'epoch': 0, 'position': 0}, 'losses': saved['losses'] if saved else {}}
        name = torch.cuda.get_device_name(self.device) if self.device.type == 'cuda' else None
        self.events.emit('started', world=self.world, device=str(self.device), torch=torch.__version__, **({'deviceName': name} if name else {}))
        start = [name for name, _ in phases].index(state['phase'])
        for phase, steps in phases[start:]:
            if phase != state['phase']:
                state.update(phase=phase, step=0)
            sampler = None
            if phase == 'gan':
                pixels, bins = load_dataset(self.spec['dataset'])
                sampler = BatchSampler(pixels, bins, self.p['bins'], config['balanceClasses'], config['seed'], state['sampler'])
                for net in self.nets.values():
                    net.train()
            else:
                self.nets['encoder'].train()
            rate = 0.0
            while state['step'] < steps:
                self.wait_while_paused()
                if self.stop_agreed():
                    return self.finish(self.control.stop or 'interrupted')
                began = time.perf_counter()
                losses = self.gan_step(sampler) if sampler else self.encoder_step()
                bad = [v for v in losses.values() if not np.isfinite(v)]
                if bad:
                    raise FloatingPointError(f"Training diverged: a loss became {bad[0]} at {phase} step {state['step'] + 1}.")
                seconds = time.perf_counter() - began
                rate = config['batch'] / seconds if rate == 0 else 0.9 * rate + 0.1 * config['batch'] / seconds
                state['step'] += 1
                state['losses'] = losses
                if sampler:
                    state['sampler'] = dict(sampler.state)
                step = state['step']
                self.events.emit('progress', phase=phase, step=step, totalSteps=steps, epoch=state['sampler']['epoch'], losses=losses, imagesPerSecond=rate)
                last = step == steps
                if self.rank == 0 and phase == 'gan' and (step % config['sampleEvery'] == 0 or last):
                    self.sample(phase, step)
                if self.rank == 0 and (step % config['checkpointEvery'] == 0 or last):
                    self.checkpoint(phase, step, state['sampler'], losses)
        return self.finish('done')

    def finish(self, status):
        self.events.emit('done', status=status)
        return 0


def train(spec):
    trainer = Trainer(spec)
    control = trainer.control

    def on_signal(_number, _frame):
        control.stop = control.stop or 'interrupted'

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if spec.get('commands') == 'stdin':
        def read_commands():
            for line in sys.stdin:
                control.command(line)
            # The studio is gone (killed, or its pipe closed): stop after this step, resumable.
            control.stop = control.stop or 'interrupted'
        threading.Thread(target=read_commands, daemon=True).start()
    finished = False
    try:
        code = trainer.run()
        finished = True
        return code
    except Exception as error:  # reported to the studio, then the exit code says it failed
        # Every rank says why on stderr too: under torchrun only rank 0 writes events, and a
        # cluster user reads the launcher's log, not events.jsonl.
        print(f'agecgan: rank {trainer.rank} failed:\n{traceback.format_exc()}', file=sys.stderr, flush=True)
        trainer.events.emit('failed', error=f'{type(error).__name__}: {error}' if not isinstance(error, (ValueError, FloatingPointError, RuntimeError)) else str(error))
        return 1
    finally:
        # Rank 0 writes the last sample and checkpoint after the others are done: tearing the group
        # down while it still writes can hang (pytorch#75097; seen once on CI under torchrun), so
        # every rank waits for the others first. After a failure a rank may be inside a collective
        # that will never complete: no collective teardown then, the process exit releases it.
        if dist.is_initialized() and finished:
            dist.barrier()
            dist.destroy_process_group()
