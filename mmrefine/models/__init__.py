from .detectors import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .seg_heads import *  # noqa: F401,F403
