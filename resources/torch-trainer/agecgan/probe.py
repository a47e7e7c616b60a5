"""What this Python offers the studio: torch's version and the CUDA devices it sees."""
import platform


def probe():
    try:
        import numpy
        import torch
    except ImportError as error:
        return {'python': platform.python_version(), 'torch': None, 'error': str(error)}
    cuda = torch.cuda.is_available()
    return {
        'python': platform.python_version(),
        'torch': torch.__version__,
        'numpy': numpy.__version__,
        'cuda': cuda,
        'devices': [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        'distributed': torch.distributed.is_available(),
    }
