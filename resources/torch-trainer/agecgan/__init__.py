"""Age-cGAN trainer on PyTorch: the studio's networks, training steps and checkpoint format.

Standard library + torch + numpy only. Driven by the studio as the `torch-cpu` / `torch-cuda`
backends, or run on its own (also under torchrun) from a run kit made by `age-studio export-run`.
"""
